"""Backup targets, their policies, tracked runs and restore tests (drills).

Numbers are data: the defaults of DOMAIN.md live in KindDefault / PolicyDefault rows (a data
migration creates them) and are copied onto a target when it is created, so an administrator
changes them without a deploy. Models hold fields and transitions only; every write goes
through backups.services.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition


class TargetKind(models.TextChoices):
    DATABASE = "database", _("Database")
    FILE_STORAGE = "file_storage", _("File storage")
    SYSTEM_CONFIG = "system_config", _("System configuration")
    LOGS = "logs", _("Logs")
    WHOLE_SYSTEM = "whole_system", _("Whole system")
    OTHER = "other", _("Other system")


class Method(models.TextChoices):
    FULL = "full", _("Full")
    DIFFERENTIAL = "differential", _("Differential")
    INCREMENTAL = "incremental", _("Incremental")


class Medium(models.TextChoices):
    DISK = "disk", _("Local disk")
    NAS = "nas", _("NAS / SAN")
    TAPE = "tape", _("Tape")
    OBJECT = "object", _("Object storage")
    CLOUD = "cloud", _("Cloud backup service")
    OPTICAL = "optical", _("Optical / offline media")


# Where live data can sit; tape, optical media and backup services only hold copies.
LIVE_MEDIA = [
    (value, label) for value, label in Medium.choices if value in ("disk", "nas", "object")
]


class KindDefault(models.Model):
    """Recovery objectives a new target of this kind starts with (DOMAIN.md's table)."""

    kind = models.CharField(_("kind"), max_length=20, choices=TargetKind.choices, unique=True)
    rpo = models.DurationField(_("RPO"), null=True, blank=True)
    rto = models.DurationField(_("RTO"), null=True, blank=True)
    drill_interval = models.DurationField(
        _("restore test every"),
        null=True,
        blank=True,
        help_text=_("Weekly to quarterly; empty for no planned restore tests."),
    )

    class Meta:
        verbose_name = _("default objectives per kind")
        verbose_name_plural = _("default objectives per kind")
        ordering = ["kind"]

    def __str__(self) -> str:
        return str(TargetKind(self.kind).label)


class PolicyDefault(models.Model):
    """A policy a new target of this kind gets (e.g. database: daily full + 6-hourly diff)."""

    kind = models.CharField(_("kind"), max_length=20, choices=TargetKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    interval = models.DurationField(
        _("every"), null=True, blank=True, help_text=_("Empty: on every change / on demand.")
    )
    retention_generations = models.PositiveIntegerField(
        _("keep generations"), null=True, blank=True
    )
    retention_days = models.PositiveIntegerField(_("keep days"), null=True, blank=True)

    class Meta:
        verbose_name = _("default policy per kind")
        verbose_name_plural = _("default policies per kind")
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        return f"{TargetKind(self.kind).label}: {self.name}"


class StorageLocation(models.Model):
    """Where backup copies are written; its medium and site count in the 3-2-1 check."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    medium = models.CharField(_("medium"), max_length=20, choices=Medium.choices)
    uri = models.CharField(_("address"), max_length=500, blank=True, help_text=_("Path or URL"))
    off_site = models.BooleanField(_("off-site"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("storage location")
        verbose_name_plural = _("storage locations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BackupTarget(models.Model):
    """A thing that is backed up, with its recovery objectives (RPO, RTO)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=TargetKind.choices)
    description = models.TextField(_("description"), blank=True)
    service = models.ForeignKey(
        "itsm.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="backup_targets",
        verbose_name=_("service"),
    )
    owner_team = models.ForeignKey(
        "itsm.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="backup_targets",
        verbose_name=_("owner team"),
    )
    primary_medium = models.CharField(
        _("medium of the live data"), max_length=20, choices=LIVE_MEDIA, default=Medium.DISK
    )
    rpo = models.DurationField(
        _("RPO"), null=True, blank=True, help_text=_("Most data loss accepted, e.g. 6:00:00")
    )
    rto = models.DurationField(
        _("RTO"), null=True, blank=True, help_text=_("Longest restore accepted, e.g. 4:00:00")
    )
    # xgettext:no-python-format
    at_risk_percent = models.PositiveSmallIntegerField(_("at risk from (% of RPO)"), default=75)
    drill_interval = models.DurationField(_("restore test every"), null=True, blank=True)
    is_portal = models.BooleanField(_("the portal's own database"), default=False, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    # Facts recorded by the RPO timer: set once when a breach starts, cleared on recovery.
    rpo_breached_at = models.DateTimeField(_("RPO breached at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("backup target")
        verbose_name_plural = _("backup targets")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_portal"], condition=Q(is_portal=True), name="one_portal_target"
            ),
            models.CheckConstraint(
                condition=Q(at_risk_percent__gte=1, at_risk_percent__lte=100),
                name="backup_target_at_risk_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("backups:target", kwargs={"slug": self.slug})

    # Derived from the figures selectors.with_compliance computes in SQL.
    @property
    def compliance(self) -> str:
        from .selectors import Compliance

        return Compliance.BY_SEVERITY[self.severity]

    @property
    def rule_321(self) -> bool:
        """Three copies (live data + two locations), two media, one copy off-site."""
        return self.backup_copies >= 2 and self.other_media >= 1 and self.off_site_copies >= 1

    @property
    def drill_overdue(self) -> bool:
        return self.next_drill_at is not None and self.next_drill_at < timezone.now()


class BackupPolicy(models.Model):
    """How a target is backed up: method, schedule, retention, where, and how protected."""

    target = models.ForeignKey(
        BackupTarget, on_delete=models.CASCADE, related_name="policies", verbose_name=_("target")
    )
    name = models.CharField(_("name"), max_length=100)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    interval = models.DurationField(
        _("every"), null=True, blank=True, help_text=_("Empty: on every change / on demand.")
    )
    next_run_at = models.DateTimeField(
        _("next run at"), null=True, blank=True, help_text=_("The schedule's next slot.")
    )
    retention_generations = models.PositiveIntegerField(
        _("keep generations"), null=True, blank=True
    )
    retention_days = models.PositiveIntegerField(_("keep days"), null=True, blank=True)
    storage_location = models.ForeignKey(
        StorageLocation,
        on_delete=models.PROTECT,
        related_name="policies",
        verbose_name=_("storage location"),
    )
    encrypted = models.BooleanField(_("encrypted"), default=True)
    start_grace = models.DurationField(
        _("must start within"),
        default=timedelta(hours=1),
        help_text=_("A scheduled run that has not started by then counts as failed."),
    )
    max_duration = models.DurationField(
        _("must finish within"),
        null=True,
        blank=True,
        default=timedelta(hours=6),
        help_text=_("A running backup still unfinished after this counts as failed."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("backup policy")
        verbose_name_plural = _("backup policies")
        ordering = ["target__name", "pk"]
        indexes = [
            models.Index(
                fields=["next_run_at"], condition=Q(is_active=True), name="backup_policy_due"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(retention_generations__isnull=False) | Q(retention_days__isnull=False),
                name="backup_policy_has_retention",
            ),
            models.UniqueConstraint(fields=["target", "name"], name="unique_policy_name"),
        ]

    def __str__(self) -> str:
        return f"{self.target.name}: {self.name}"

    def get_absolute_url(self) -> str:
        return self.target.get_absolute_url() + f"#policy-{self.pk}"


def can_report(instance, user) -> bool:
    return user is not None and user.has_perm("backups.report_backuprun")


def can_expire(instance, user) -> bool:
    return user is not None and user.has_perm("backups.expire_backuprun")


def _late_after(code: str):
    """A run failed only for lateness may still go on when the job turns up late."""
    return lambda run: run.status != "failed" or run.failure_code == code


class BackupRun(models.Model):
    """One execution of a backup job, reported by an agent or run by the portal itself."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        VERIFIED = "verified", _("Verified")
        FAILED = "failed", _("Failed")
        VERIFICATION_FAILED = "verification_failed", _("Verification failed")
        EXPIRED = "expired", _("Expired")
        PURGED = "purged", _("Purged")

    class Origin(models.TextChoices):
        SCHEDULE = "schedule", _("Portal schedule")
        AGENT = "agent", _("Reported by a backup job")
        PORTAL = "portal", _("Portal backup")
        MANUAL = "manual", _("Entered by hand")

    class FailureCode(models.TextChoices):
        JOB_ERROR = "job_error", _("The job reported an error")
        MISSED_START = "missed_start", _("Did not start in time")
        TIMEOUT = "timeout", _("Did not finish in time")
        CHECKSUM = "checksum", _("Checksum does not match")
        RESTORE = "restore", _("Test restore failed")

    S = Status
    GOOD = (S.SUCCEEDED, S.VERIFIED)
    HOLDS_DATA = (S.SUCCEEDED, S.VERIFIED, S.VERIFICATION_FAILED)

    target = models.ForeignKey(
        BackupTarget, on_delete=models.PROTECT, related_name="runs", verbose_name=_("target")
    )
    policy = models.ForeignKey(
        BackupPolicy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
        verbose_name=_("policy"),
    )
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    status = FSMField(_("status"), default=S.SCHEDULED, choices=Status.choices, protected=True)
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices)
    external_id = models.CharField(
        _("external run id"), max_length=200, blank=True, help_text=_("The backup job's own id")
    )
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    recovery_point = models.DateTimeField(
        _("recovery point"), null=True, blank=True, help_text=_("The moment the data reflects")
    )
    size_bytes = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    checksum = models.CharField(_("checksum"), max_length=200, blank=True)
    checksum_algorithm = models.CharField(_("checksum algorithm"), max_length=20, default="sha256")
    location = models.CharField(_("location"), max_length=1000, blank=True)
    encrypted = models.BooleanField(_("encrypted"), default=False)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verification_note = models.TextField(_("verification"), blank=True)
    failure_code = models.CharField(
        _("failure"), max_length=20, choices=FailureCode.choices, blank=True
    )
    failure_reason = models.TextField(_("failure reason"), blank=True)
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True)
    purged_at = models.DateTimeField(_("purged at"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("backup run")
        verbose_name_plural = _("backup runs")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("report_backuprun", _("Can report and verify backup runs")),
            ("expire_backuprun", _("Can expire backup runs before their retention ends")),
        ]
        indexes = [
            # The compliance dashboard's "newest verified backup per target".
            models.Index(fields=["target", "status", "recovery_point"], name="backup_run_newest"),
            models.Index(fields=["status", "finished_at"], name="backup_run_status"),
            # "last run" per target on the dashboard, and the run list's order
            models.Index(fields=["target", "-created_at", "-id"], name="backup_run_latest"),
            models.Index(fields=["-created_at"], name="backup_run_created"),
        ]
        constraints = [
            # Agents retry reports: the job's own id makes them idempotent.
            models.UniqueConstraint(
                fields=["target", "external_id"],
                condition=~Q(external_id=""),
                name="unique_external_run",
            ),
            # Two beat ticks for one slot still make one run.
            models.UniqueConstraint(
                fields=["policy", "scheduled_for"],
                condition=Q(origin="schedule"),
                name="one_run_per_schedule_slot",
            ),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(
            self.finished_at or self.started_at or self.scheduled_for or self.created_at
        )
        return f"{self.target.name} {self.get_method_display()} #{self.pk} {when:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("backups:run", kwargs={"pk": self.pk})

    @property
    def duration(self) -> timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    # --- transitions: they change fields on self only; services save and record -------------
    def _resume(self) -> None:
        self.failure_code, self.failure_reason = "", ""

    @transition(
        status,
        source=[S.SCHEDULED, S.FAILED],
        target=S.RUNNING,
        permission=can_report,
        conditions=[_late_after("missed_start")],
        custom={"label": _("Start"), "style": "primary"},
    )
    def start(self, *, at) -> None:
        """The job began writing the backup (also late, after it was marked as missed)."""
        self.started_at = at
        self.finished_at = None
        self._resume()

    @transition(
        status,
        source=[S.RUNNING, S.FAILED],
        target=S.SUCCEEDED,
        permission=can_report,
        conditions=[_late_after("timeout")],
        custom={"label": _("Finish"), "style": "success", "form": "finish"},
    )
    def finish(
        self, *, at, size_bytes=None, checksum="", location="", recovery_point=None, encrypted=None
    ) -> None:
        """The job wrote a complete backup; it still has to be verified to count for RPO."""
        self._resume()
        if encrypted is not None:
            self.encrypted = encrypted
        self.finished_at = at
        self.size_bytes = size_bytes
        self.checksum = checksum or ""
        self.location = location or self.location
        self.recovery_point = recovery_point or self.recovery_point or self.started_at or at

    @transition(
        status,
        source=[S.SCHEDULED, S.RUNNING],
        target=S.FAILED,
        permission=can_report,
        custom={"label": _("Mark failed"), "style": "danger", "form": "reason"},
    )
    def fail(self, *, at, reason: str, code: str = FailureCode.JOB_ERROR) -> None:
        """The job failed, never started, or never finished: an alert for the operators."""
        self.finished_at = self.finished_at or at
        self.failure_code, self.failure_reason = code, reason

    @transition(
        status,
        source=S.SUCCEEDED,
        target=S.VERIFIED,
        permission=can_report,
        custom={"label": _("Verify"), "style": "success", "form": "note"},
    )
    def verify(self, *, at, note: str = "") -> None:
        """Integrity checked (checksum, test restore): from now on it counts for the RPO."""
        self.verified_at = at
        self.verification_note = note

    @transition(
        status,
        source=S.SUCCEEDED,
        target=S.VERIFICATION_FAILED,
        permission=can_report,
        custom={"label": _("Verification failed"), "style": "danger", "form": "reason"},
    )
    def fail_verification(self, *, at, reason: str, code: str = FailureCode.RESTORE) -> None:
        """The backup cannot be trusted (bad checksum, restore failed): an alert."""
        self.verified_at = at
        self.failure_code, self.failure_reason = code, reason

    @transition(
        status,
        source=[S.SUCCEEDED, S.VERIFIED, S.VERIFICATION_FAILED, S.FAILED],
        target=S.EXPIRED,
        permission=can_expire,
        custom={"label": _("Expire"), "style": "warning", "form": "reason"},
    )
    def expire(self, *, at) -> None:
        """Retention ended (or an administrator retired it): the copy may now be deleted."""
        self.expired_at = at

    @transition(
        status,
        source=S.EXPIRED,
        target=S.PURGED,
        permission=can_report,
        custom={"label": _("Confirm purged"), "style": "secondary"},
    )
    def purge(self, *, at) -> None:
        """The copy was deleted from its storage location."""
        self.purged_at = at


def can_record_drill(instance, user) -> bool:
    return user is not None and user.has_perm("backups.record_restoretest")


class RestoreTest(models.Model):
    """A restore drill: the measured recovery time against the RTO, and the point reached."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    S = Status

    target = models.ForeignKey(
        BackupTarget, on_delete=models.PROTECT, related_name="drills", verbose_name=_("target")
    )
    run = models.ForeignKey(
        BackupRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="drills",
        verbose_name=_("restored backup"),
    )
    status = FSMField(_("status"), default=S.PLANNED, choices=Status.choices, protected=True)
    planned_for = models.DateTimeField(_("planned for"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    scenario = models.CharField(
        _("scenario"), max_length=200, blank=True, help_text=_("What is restored, and where to")
    )
    started_at = models.DateTimeField(_("restore started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("service back"), null=True, blank=True)
    recovery_time = models.DurationField(_("recovery time"), null=True, blank=True)
    recovery_point = models.DateTimeField(_("recovery point reached"), null=True, blank=True)
    data_loss = models.DurationField(_("data loss window"), null=True, blank=True)
    rto_target = models.DurationField(_("RTO at the time"), null=True, blank=True)
    rpo_target = models.DurationField(_("RPO at the time"), null=True, blank=True)
    data_verified = models.BooleanField(_("restored data checked and complete"), default=False)
    evidence = models.TextField(_("evidence"), blank=True)
    evidence_url = models.URLField(_("evidence link"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("restore test")
        verbose_name_plural = _("restore tests")
        ordering = ["-planned_for", "-pk"]
        permissions = [("record_restoretest", _("Can plan and record restore tests"))]
        indexes = [models.Index(fields=["status", "planned_for"], name="restore_test_due")]

    def __str__(self) -> str:
        return _("Restore test of %(target)s, %(when)s") % {
            "target": self.target.name,
            "when": timezone.localtime(self.planned_for).strftime("%Y-%m-%d"),
        }

    def get_absolute_url(self) -> str:
        return reverse("backups:drill", kwargs={"pk": self.pk})

    @property
    def meets_rto(self) -> bool | None:
        if self.recovery_time is None or self.rto_target is None:
            return None
        return self.recovery_time <= self.rto_target

    @property
    def meets_rpo(self) -> bool | None:
        if self.data_loss is None or self.rpo_target is None:
            return None
        return self.data_loss <= self.rpo_target

    def _measure(self, *, started_at, finished_at, recovery_point, data_verified, at, by) -> None:
        self.started_at, self.finished_at = started_at, finished_at
        self.recovery_time = finished_at - started_at
        self.recovery_point = recovery_point
        self.data_loss = (started_at - recovery_point) if recovery_point else None
        self.rto_target, self.rpo_target = self.target.rto, self.target.rpo
        self.data_verified = data_verified
        self.recorded_at, self.recorded_by = at, by

    @transition(
        status,
        source=S.PLANNED,
        target=S.PASSED,
        permission=can_record_drill,
        custom={"label": _("Record result"), "style": "primary", "form": "record"},
    )
    def record_pass(self, **measured) -> None:
        """Restored within the RTO, to a point within the RPO, data checked."""
        self._measure(**measured)

    @transition(
        status,
        source=S.PLANNED,
        target=S.FAILED,
        permission=can_record_drill,
        custom={"hidden": True},
    )
    def record_fail(self, **measured) -> None:
        """Restore failed or missed an objective: the recovery plan needs work."""
        self._measure(**measured)

    @transition(
        status,
        source=S.PLANNED,
        target=S.CANCELLED,
        permission=can_record_drill,
        custom={"label": _("Cancel"), "style": "secondary", "form": "reason"},
    )
    def cancel(self, *, reason: str) -> None:
        """Not held (replaced by another drill, target retired)."""
        self.cancel_reason = reason
