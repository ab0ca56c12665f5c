"""The release and its stages from development to production."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from itsm.models import Service, Team

from .. import permissions as perms
from .policy import Kind


class Stage(models.TextChoices):
    DEVELOPMENT = "development", _("Development")
    TEST = "test", _("Test")
    STAGING = "staging", _("Staging")
    CANARY = "canary", _("Canary")
    PRODUCTION = "production", _("Production")
    DONE = "done", _("Done")
    ROLLED_BACK = "rolled_back", _("Rolled back")
    CANCELLED = "cancelled", _("Cancelled")


IN_FLIGHT = [Stage.DEVELOPMENT, Stage.TEST, Stage.STAGING, Stage.CANARY, Stage.PRODUCTION]
FINISHED = [Stage.DONE, Stage.ROLLED_BACK, Stage.CANCELLED]
PIPELINE = [
    Stage.DEVELOPMENT,
    Stage.TEST,
    Stage.STAGING,
    Stage.CANARY,
    Stage.PRODUCTION,
    Stage.DONE,
]


class Strategy(models.TextChoices):
    BLUE_GREEN = "blue_green", _("Blue-green")
    ROLLING = "rolling", _("Rolling")
    CANARY = "canary", _("Canary")


version_validator = RegexValidator(
    r"^[0-9A-Za-z][0-9A-Za-z.+_-]*$",
    _("A version is letters, digits, dots, dashes, underscores and plus signs, e.g. 2.4.1."),
)


def _holds(permission: str):
    def check(release: Release, user) -> bool:
        return user.has_perm(permission)

    check.__name__ = f"holds_{permission.split('.')[-1]}"
    return check


def _gates_met(verb: str):
    """An FSM condition: every gate of `verb` is met now (see releases.gates)."""

    def check(release: Release) -> bool:
        from ..gates import gates_met

        return gates_met(release, verb)

    check.__name__ = f"gates_of_{verb}"
    return check


class ReleaseQuerySet(models.QuerySet):
    def in_flight(self):
        return self.filter(stage__in=IN_FLIGHT)

    def finished(self):
        return self.filter(stage__in=FINISHED)


class Release(FSMModelMixin, models.Model):
    """A version of one or more services on its way to production."""

    version = models.CharField(
        _("version"), max_length=64, unique=True, validators=[version_validator]
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MINOR)
    stage = FSMField(
        _("stage"),
        default=Stage.DEVELOPMENT,
        choices=Stage.choices,
        protected=True,
        db_index=True,
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="releases", verbose_name=_("team")
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_releases",
        verbose_name=_("release manager"),
    )
    services = models.ManyToManyField(Service, related_name="releases", verbose_name=_("services"))
    planned_at = models.DateTimeField(_("planned for"), null=True, blank=True, db_index=True)
    notes = models.TextField(
        _("release notes"), blank=True, help_text=_("Highlights, in Markdown.")
    )

    strategy = models.CharField(
        _("deployment strategy"), max_length=12, choices=Strategy.choices, default=Strategy.ROLLING
    )
    canary_percent = models.PositiveSmallIntegerField(
        _("canary traffic (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
    )
    canary_duration_minutes = models.PositiveIntegerField(
        _("canary observation (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)],
    )
    rolling_batch_percent = models.PositiveSmallIntegerField(
        _("rolling batch size (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    blue_green_hold_minutes = models.PositiveIntegerField(
        _("keep the old environment (minutes)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(7 * 24 * 60)],
        help_text=_("How long the previous colour stays ready for an instant switch back."),
    )

    # Each start of testing opens a new round; pipeline reports belong to the round they were
    # made in, so results of an earlier, failed round never open a gate.
    attempt = models.PositiveSmallIntegerField(_("test round"), default=0)
    stage_entered_at = models.DateTimeField(_("stage entered at"), null=True, blank=True)
    production_at = models.DateTimeField(_("promoted to production at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    last_failure_reason = models.TextField(_("last failure"), blank=True)
    rolled_back_at = models.DateTimeField(_("rolled back at"), null=True, blank=True)
    rolled_back_from = models.CharField(
        _("rolled back from"), max_length=12, choices=Stage.choices, blank=True
    )
    rollback_reason = models.TextField(_("reason for the rollback"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    # Content: the changes this release carries; DORA's lead time starts at their approval.
    changes = models.ManyToManyField(
        "changes.Change", blank=True, related_name="releases", verbose_name=_("linked changes")
    )
    incidents_fixed = models.ManyToManyField(
        "incidents.Incident",
        blank=True,
        related_name="fixed_in_releases",
        verbose_name=_("incidents fixed"),
    )
    # The approved change that covered the production promotion (set by the gate).
    covering_change = models.ForeignKey(
        "changes.Change",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="covered_releases",
        verbose_name=_("covering change"),
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["-planned_at", "-pk"]
        indexes = [models.Index(fields=["team", "stage"], name="release_team_stage")]
        permissions = [
            ("promote_release", _("Can promote releases to test, staging and canary")),
            ("promote_production", _("Can promote releases to production")),
            ("fail_release", _("Can record a failed test or staging stage")),
            ("rollback_release", _("Can roll back a release")),
            ("cancel_release", _("Can cancel a release")),
            ("report_pipeline", _("Can report builds, test results and deployments (CI/CD)")),
            ("link_incident", _("Can link incidents to deployments")),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.title}".strip()

    def get_absolute_url(self) -> str:
        return reverse("releases:detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.stage in FINISHED

    @property
    def uses_canary(self) -> bool:
        return self.strategy == Strategy.CANARY

    def clean(self) -> None:
        errors = {}
        if self.strategy == Strategy.CANARY:
            if not self.canary_percent:
                errors["canary_percent"] = _("A canary release needs its share of traffic.")
            if not self.canary_duration_minutes:
                errors["canary_duration_minutes"] = _("A canary release needs an observation time.")
        elif self.strategy == Strategy.ROLLING and not self.rolling_batch_percent:
            errors["rolling_batch_percent"] = _("A rolling deployment needs a batch size.")
        if errors:
            raise ValidationError(errors)

    def strategy_parameters(self) -> dict:
        """The parameters that matter for the chosen strategy."""
        if self.strategy == Strategy.CANARY:
            return {
                "canary_percent": self.canary_percent,
                "canary_duration_minutes": self.canary_duration_minutes,
            }
        if self.strategy == Strategy.ROLLING:
            return {"rolling_batch_percent": self.rolling_batch_percent}
        return {"blue_green_hold_minutes": self.blue_green_hold_minutes}

    # --- stages (fields on self only; services lock, check gates, save, record) -------------
    def _enter(self, at) -> None:
        self.stage_entered_at = at

    @transition(
        stage,
        source=Stage.DEVELOPMENT,
        target=Stage.TEST,
        permission=_holds(perms.PROMOTE),
        conditions=[_gates_met("start_testing")],
    )
    def start_testing(self, *, at) -> None:
        """A successful build goes to the test environment: a new test round starts."""
        self.attempt += 1
        self._enter(at)

    @transition(stage, source=Stage.TEST, target=Stage.DEVELOPMENT, permission=_holds(perms.FAIL))
    def fail_test(self, *, at, reason: str) -> None:
        """Tests failed: back to development to fix, with the reason."""
        self.last_failure_reason = reason
        self._enter(at)

    @transition(
        stage,
        source=Stage.TEST,
        target=Stage.STAGING,
        permission=_holds(perms.PROMOTE),
        conditions=[_gates_met("promote_to_staging")],
    )
    def promote_to_staging(self, *, at) -> None:
        """Deployed and green in test: on to the production-like staging environment."""
        self._enter(at)

    @transition(
        stage, source=Stage.STAGING, target=Stage.DEVELOPMENT, permission=_holds(perms.FAIL)
    )
    def fail_staging(self, *, at, reason: str) -> None:
        """Staging found a problem: back to development, with the reason."""
        self.last_failure_reason = reason
        self._enter(at)

    @transition(
        stage,
        source=Stage.STAGING,
        target=Stage.CANARY,
        permission=_holds(perms.PROMOTE),
        conditions=[_gates_met("start_canary")],
    )
    def start_canary(self, *, at) -> None:
        """A canary release exposes a small share of production traffic first."""
        self._enter(at)

    @transition(
        stage,
        source=[Stage.STAGING, Stage.CANARY],
        target=Stage.PRODUCTION,
        permission=_holds(perms.PROMOTE_PRODUCTION),
        conditions=[_gates_met("promote_to_production")],
    )
    def promote_to_production(self, *, at, change_id: int | None) -> None:
        """Full production; only with an approved change covering the release.

        Canary releases come from the canary stage; blue-green and rolling ones straight
        from staging.
        """
        self.covering_change_id = change_id
        self.production_at = at
        self._enter(at)

    @transition(
        stage,
        source=[Stage.CANARY, Stage.PRODUCTION],
        target=Stage.ROLLED_BACK,
        permission=_holds(perms.ROLLBACK),
    )
    def rollback(self, *, at, reason: str) -> None:
        """The canary or production failed: the previous version is restored."""
        self.rolled_back_from = self.stage
        self.rolled_back_at = at
        self.rollback_reason = reason
        self.last_failure_reason = reason
        self._enter(at)

    @transition(
        stage,
        source=Stage.PRODUCTION,
        target=Stage.DONE,
        permission=_holds(perms.PROMOTE_PRODUCTION),
        conditions=[_gates_met("complete")],
    )
    def complete(self, *, at) -> None:
        """Deployed to production and settled: the release is finished."""
        self.done_at = at
        self._enter(at)

    @transition(
        stage,
        source=[Stage.DEVELOPMENT, Stage.TEST, Stage.STAGING],
        target=Stage.CANCELLED,
        permission=_holds(perms.CANCEL),
    )
    def cancel(self, *, at, reason: str) -> None:
        """Dropped before it reached production users."""
        self.cancelled_at = at
        self.cancel_reason = reason
        self._enter(at)


class ReleaseItem(models.Model):
    """One line of the release notes: a feature, a fix, a security patch."""

    class Category(models.TextChoices):
        FEATURE = "feature", _("New feature")
        IMPROVEMENT = "improvement", _("Improvement")
        FIX = "fix", _("Bug fix")
        SECURITY = "security", _("Security")
        BREAKING = "breaking", _("Breaking change")
        OTHER = "other", _("Other")

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="items")
    category = models.CharField(
        _("category"), max_length=12, choices=Category.choices, default=Category.IMPROVEMENT
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    link = models.URLField(_("link"), blank=True, help_text=_("Issue, pull request or ticket."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("release note item")
        verbose_name_plural = _("release note items")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title
