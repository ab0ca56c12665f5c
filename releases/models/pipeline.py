"""What CI/CD reports: builds, test results and deployments, one row per pipeline run."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .release import Release, Stage, Strategy


class Environment(models.TextChoices):
    TEST = Stage.TEST.value, Stage.TEST.label
    STAGING = Stage.STAGING.value, Stage.STAGING.label
    CANARY = Stage.CANARY.value, Stage.CANARY.label
    PRODUCTION = Stage.PRODUCTION.value, Stage.PRODUCTION.label


class PipelineReport(models.Model):
    """Fields that every report from a CI/CD pipeline carries."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, verbose_name=_("release"))
    pipeline = models.CharField(
        _("pipeline"), max_length=100, help_text=_("The CI/CD system or pipeline, e.g. deploy.yml")
    )
    run_id = models.CharField(
        _("pipeline run"),
        max_length=100,
        help_text=_("The run's id in the CI/CD system; the same run reported twice is one row."),
    )
    run_url = models.URLField(_("run link"), blank=True, max_length=500)
    attempt = models.PositiveSmallIntegerField(_("test round"), default=0)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported by"),
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class Build(PipelineReport):
    class Result(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="builds", verbose_name=_("release")
    )
    version = models.CharField(_("version"), max_length=64)
    commit = models.CharField(_("commit"), max_length=64, blank=True)
    branch = models.CharField(_("branch"), max_length=200, blank=True)
    artifact = models.CharField(
        _("artifact"), max_length=500, blank=True, help_text=_("Image or package reference.")
    )
    result = models.CharField(_("result"), max_length=12, choices=Result.choices)

    class Meta:
        verbose_name = _("build")
        verbose_name_plural = _("builds")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["release", "run_id"], name="one_build_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.version} build {self.run_id}"


class TestRun(PipelineReport):
    """The result of one test suite in one environment, e.g. smoke tests in staging."""

    __test__ = False  # not a pytest test class, despite its name

    class Result(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="test_runs", verbose_name=_("release")
    )
    environment = models.CharField(_("environment"), max_length=12, choices=Environment.choices)
    suite = models.CharField(_("test suite"), max_length=100)
    result = models.CharField(_("result"), max_length=12, choices=Result.choices)
    tests_total = models.PositiveIntegerField(_("tests"), default=0)
    tests_failed = models.PositiveIntegerField(_("failed tests"), default=0)
    tests_skipped = models.PositiveIntegerField(_("skipped tests"), default=0)

    class Meta:
        verbose_name = _("test result")
        verbose_name_plural = _("test results")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "run_id", "environment", "suite"], name="one_test_run_per_run"
            )
        ]

    def __str__(self) -> str:
        return f"{self.suite} @ {self.environment}: {self.result}"


class Deployment(PipelineReport):
    """One deployment of a release to an environment: when, what, by whom, how it went."""

    class Result(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        ROLLED_BACK = "rolled_back", _("Rolled back")

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="deployments", verbose_name=_("release")
    )
    environment = models.CharField(_("environment"), max_length=12, choices=Environment.choices)
    version = models.CharField(_("version"), max_length=64)
    strategy = models.CharField(_("strategy"), max_length=12, choices=Strategy.choices)
    result = models.CharField(_("result"), max_length=12, choices=Result.choices)
    triggered_by = models.CharField(
        _("triggered by"), max_length=150, blank=True, help_text=_("Who started the pipeline.")
    )
    notes = models.TextField(_("notes"), blank=True)
    # Set when the release is rolled back after this deployment went live: DORA counts it
    # as a failed change.
    rolled_back_at = models.DateTimeField(_("rolled back at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "run_id", "environment"], name="one_deployment_per_run"
            )
        ]
        indexes = [models.Index(fields=["environment", "finished_at"], name="deployment_env_at")]

    def __str__(self) -> str:
        return f"{self.version} → {self.get_environment_display()} ({self.get_result_display()})"

    @property
    def is_final(self) -> bool:
        return self.result != self.Result.IN_PROGRESS


class DeploymentIncident(models.Model):
    """An incident caused by a deployment: DORA counts the deployment as a failed change and
    the incident's recovery as time to restore."""

    deployment = models.ForeignKey(
        Deployment,
        on_delete=models.CASCADE,
        related_name="incident_links",
        verbose_name=_("deployment"),
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.CASCADE,
        related_name="caused_by_deployments",
        verbose_name=_("incident"),
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("linked by"),
    )
    linked_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("incident caused by a deployment")
        verbose_name_plural = _("incidents caused by deployments")
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "incident"], name="one_link_per_deployment_incident"
            )
        ]

    def __str__(self) -> str:
        return f"{self.deployment} → INC-{self.incident_id:05d}"
