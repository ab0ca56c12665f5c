"""Maintenance plans (data, not code), their jobs, their recorded runs, and pending updates."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from itsm.models import Service, Team, validate_time_zone

from .schedule import describe, validate_cron


def default_time_zone() -> str:
    return settings.TIME_ZONE


class JobKind(models.TextChoices):
    """What a job does. All but the last are performed by the portal on itself."""

    PURGE_SESSIONS = "purge_sessions", _("Expired-session purge")
    CLEAN_CACHE = "clean_cache", _("Cache clean-up")
    CLEAN_TEMP_FILES = "clean_temp_files", _("Temporary-file clean-up")
    ROTATE_LOGS = "rotate_logs", _("Log rotation")
    OPTIMISE_DATABASE = "optimise_database", _("Database optimisation")
    REBUILD_INDEXES = "rebuild_indexes", _("Index rebuild")
    VERIFY_BACKUP = "verify_backup", _("Backup verification")
    CAPACITY_REPORT = "capacity_report", _("Capacity and performance report")
    PENDING_UPDATES = "pending_updates", _("Pending-update analysis and scheduling")
    STANDARD_CHANGE = "standard_change", _("Standard change on operated systems")


class MaintenancePlan(models.Model):
    """A named set of jobs that runs on a cron schedule in a time zone.

    The next run is an itsm.timers Timer (kind "maintenance.run_plan"), so editing the
    schedule takes effect at once and a run missed while the portal was down is caught up.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    schedule = models.CharField(
        _("schedule"),
        max_length=100,
        validators=[validate_cron],
        help_text=_("Cron: minute hour day-of-month month day-of-week, e.g. “0 3 * * *”."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    is_active = models.BooleanField(_("active"), default=True)
    open_incident_on_failure = models.BooleanField(
        _("open an incident when a job fails"), default=False
    )
    incident_service = models.ForeignKey(
        Service,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service for incidents"),
    )
    window = models.ForeignKey(
        "changes.MaintenanceWindow",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="maintenance_plans",
        verbose_name=_("maintenance window"),
        help_text=_(
            "Standard changes of this plan go into this window; empty: the next window that "
            "covers the job's services."
        ),
    )
    max_duration = models.DurationField(
        _("longest expected run"),
        default=timedelta(hours=2),
        help_text=_("A run still going after this is marked failed and reported."),
    )
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True, editable=False)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("maintenance plan")
        verbose_name_plural = _("maintenance plans")
        ordering = ["name"]
        permissions = [("run_maintenanceplan", _("Can run maintenance plans on demand"))]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("maintenance:plan_detail", args=[self.pk])

    @property
    def schedule_text(self) -> str:
        return describe(self.schedule)

    def clean(self) -> None:
        if self.max_duration is not None and self.max_duration <= timedelta(0):
            raise ValidationError({"max_duration": _("The longest run must be positive.")})
        if self.open_incident_on_failure and not self.incident_service_id:
            raise ValidationError(
                {"incident_service": _("Choose the service the incidents are opened on.")}
            )


class MaintenanceJob(models.Model):
    """One step of a plan. `parameters` tune the built-in jobs (see maintenance.jobs)."""

    plan = models.ForeignKey(
        MaintenancePlan, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("plan")
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=JobKind.choices)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    # Operated-system jobs: which systems the standard change touches and who does it.
    services = models.ManyToManyField(
        Service, blank=True, related_name="maintenance_jobs", verbose_name=_("services")
    )
    owner_team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="maintenance_jobs",
        verbose_name=_("owning team"),
        help_text=_("Gets the change's checklist; defaults to the first service's owner."),
    )
    change_template = models.ForeignKey(
        "changes.StandardTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="maintenance_jobs",
        verbose_name=_("standard change template"),
        help_text=_("The approved standard change template the job creates its change from."),
    )

    class Meta:
        verbose_name = _("maintenance job")
        verbose_name_plural = _("maintenance jobs")
        ordering = ["plan", "position", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_builtin(self) -> bool:
        return self.kind != JobKind.STANDARD_CHANGE

    def clean(self) -> None:
        from .jobs import validate_parameters

        validate_parameters(self.kind, self.parameters)
        if self.kind == JobKind.STANDARD_CHANGE and not self.change_template_id:
            raise ValidationError({"change_template": _("A standard-change job needs a template.")})
        template = self.change_template if self.change_template_id else None
        if template is not None and template.status != "approved":
            raise ValidationError(
                {"change_template": _("Only an approved standard change template can be used.")}
            )


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    WARNING = "warning", _("Succeeded with warnings")
    FAILED = "failed", _("Failed")


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("On schedule")
    CATCH_UP = "catch_up", _("Caught up after downtime")
    MANUAL = "manual", _("On demand")


class MaintenanceRunQuerySet(models.QuerySet):
    def finished(self) -> MaintenanceRunQuerySet:
        return self.filter(finished_at__isnull=False)


class MaintenanceRun(models.Model):
    """One execution of a plan: when it was due, when it ran, what came of it."""

    Status = RunStatus
    Trigger = RunTrigger

    plan = models.ForeignKey(
        MaintenancePlan, on_delete=models.PROTECT, related_name="runs", verbose_name=_("plan")
    )
    trigger = models.CharField(_("trigger"), max_length=10, choices=RunTrigger.choices)
    scheduled_for = models.DateTimeField(_("due at"), db_index=True)
    status = FSMField(
        _("result"), default=RunStatus.QUEUED, choices=RunStatus.choices, protected=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    queued_at = models.DateTimeField(_("queued"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration = models.DurationField(_("duration"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    incident_reference = models.CharField(_("incident"), max_length=64, blank=True)
    notified_at = models.DateTimeField(_("administrators notified"), null=True, blank=True)

    objects = MaintenanceRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("maintenance run")
        verbose_name_plural = _("maintenance runs")
        ordering = ["-scheduled_for", "-pk"]
        indexes = [
            models.Index(fields=["plan", "-scheduled_for"], name="maint_run_plan_recent"),
            # "Failed runs" is the question asked most: the filter and its count use this.
            models.Index(fields=["status", "-scheduled_for"], name="maint_run_status_recent"),
        ]
        constraints = [
            # One scheduled run per occurrence, however often the timer is delivered.
            models.UniqueConstraint(
                fields=["plan", "scheduled_for"],
                condition=~Q(trigger="manual"),
                name="one_scheduled_run_per_occurrence",
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan} @ {self.scheduled_for:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("maintenance:run_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    @transition(field=status, source=RunStatus.QUEUED, target=RunStatus.RUNNING)
    def start(self, *, at) -> None:
        """A worker took the run; a second delivery of the same task finds it taken."""
        self.started_at = at

    @transition(
        field=status,
        source=RunStatus.RUNNING,
        target=RunStatus.SUCCEEDED,
    )
    def succeed(self, *, at, summary: str) -> None:
        """Every job did its work."""
        self._finish(at, summary)

    @transition(field=status, source=RunStatus.RUNNING, target=RunStatus.WARNING)
    def warn(self, *, at, summary: str) -> None:
        """Every job ran, some reported something to look at (a threshold, nothing to do)."""
        self._finish(at, summary)

    @transition(field=status, source=RunStatus.RUNNING, target=RunStatus.FAILED)
    def fail(self, *, at, summary: str) -> None:
        """At least one job failed: administrators are told."""
        self._finish(at, summary)

    @transition(field=status, source=[RunStatus.QUEUED, RunStatus.RUNNING], target=RunStatus.FAILED)
    def abandon(self, *, at, summary: str) -> None:
        """The run outlived the plan's longest expected duration (a worker died, a job hung)."""
        self._finish(at, summary)

    def _finish(self, at, summary: str) -> None:
        self.finished_at = at
        self.duration = at - (self.started_at or at)
        self.summary = summary


class JobRunStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    WARNING = "warning", _("Warning")
    FAILED = "failed", _("Failed")


class JobRun(models.Model):
    """What one job of a run did: its output and figures, kept with the run."""

    Status = JobRunStatus

    run = models.ForeignKey(
        MaintenanceRun, on_delete=models.CASCADE, related_name="job_runs", verbose_name=_("run")
    )
    job = models.ForeignKey(
        MaintenanceJob,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="job_runs",
        verbose_name=_("job"),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=JobKind.choices)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    status = models.CharField(
        _("result"), max_length=10, choices=JobRunStatus.choices, default=JobRunStatus.PENDING
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration = models.DurationField(_("duration"), null=True, blank=True)
    output = models.TextField(_("output"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["run", "position", "pk"]
        indexes = [models.Index(fields=["kind", "run"], name="maint_jobrun_kind_run")]

    def __str__(self) -> str:
        return f"{self.name}: {self.get_status_display()}"


class UpdateKind(models.TextChoices):
    SECURITY = "security", _("Security patch")
    BUGFIX = "bugfix", _("Bug fix")
    FEATURE = "feature", _("Feature improvement")
    MAJOR = "major", _("Major update")


class UpdateSeverity(models.IntegerChoices):
    CRITICAL = 1, _("Critical")
    HIGH = 2, _("High")
    MEDIUM = 3, _("Medium")
    LOW = 4, _("Low")


class UpdateStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    ANALYSED = "analysed", _("Analysed")
    SCHEDULED = "scheduled", _("Scheduled")
    APPLIED = "applied", _("Applied")
    DISMISSED = "dismissed", _("Dismissed")


def may_manage_updates(instance, user) -> bool:
    return user.has_perm("maintenance.change_pendingupdate")


class PendingUpdate(models.Model):
    """A vendor's update waiting to be applied: analysed, then scheduled as a change."""

    Kind = UpdateKind
    Severity = UpdateSeverity
    Status = UpdateStatus

    component = models.CharField(_("component"), max_length=200)
    version = models.CharField(_("version"), max_length=64)
    kind = models.CharField(
        _("type"), max_length=10, choices=UpdateKind.choices, default=UpdateKind.BUGFIX
    )
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=UpdateSeverity.choices, default=UpdateSeverity.MEDIUM
    )
    notes = models.TextField(_("notes"), blank=True)
    advisory = models.CharField(
        _("advisory"), max_length=200, blank=True, help_text=_("Vendor advisory or CVE id")
    )
    services = models.ManyToManyField(
        Service, related_name="pending_updates", blank=True, verbose_name=_("services")
    )
    status = FSMField(
        _("state"),
        default=UpdateStatus.REGISTERED,
        choices=UpdateStatus.choices,
        protected=True,
        db_index=True,
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    registered_at = models.DateTimeField(_("registered"), auto_now_add=True)
    # Filled by the analysis.
    affected_services = models.ManyToManyField(
        Service, related_name="+", blank=True, verbose_name=_("affected services")
    )
    suggested_class = models.CharField(_("suggested change class"), max_length=16, blank=True)
    analysis = models.TextField(_("analysis"), blank=True)
    analysed_at = models.DateTimeField(_("analysed"), null=True, blank=True)
    # Filled when scheduled.
    window_name = models.CharField(_("maintenance window"), max_length=200, blank=True)
    window_start = models.DateTimeField(_("window starts"), null=True, blank=True)
    window_end = models.DateTimeField(_("window ends"), null=True, blank=True)
    change = models.ForeignKey(
        "changes.Change",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pending_updates",
        verbose_name=_("change"),
    )
    change_reference = models.CharField(_("change reference"), max_length=64, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    close_note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("pending update")
        verbose_name_plural = _("pending updates")
        ordering = ["severity", "registered_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["component", "version"],
                condition=Q(status__in=["registered", "analysed", "scheduled"]),
                name="one_open_update_per_component_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.component} {self.version}"

    def get_absolute_url(self) -> str:
        return reverse("maintenance:update_detail", args=[self.pk])

    @property
    def is_security(self) -> bool:
        return self.kind == UpdateKind.SECURITY

    @transition(
        field=status,
        source=[UpdateStatus.REGISTERED, UpdateStatus.ANALYSED],
        target=UpdateStatus.ANALYSED,
    )
    def record_analysis(self, *, at, suggested_class: str, analysis: str) -> None:
        """Affected services and a class suggestion; repeated each week until scheduled."""
        self.analysed_at, self.suggested_class, self.analysis = at, suggested_class, analysis

    @transition(field=status, source=UpdateStatus.ANALYSED, target=UpdateStatus.SCHEDULED)
    def schedule(self, *, at, window_name, window_start, window_end, change_id, reference):
        """A change was created for it in a maintenance window."""
        self.scheduled_at = at
        self.window_name, self.window_start, self.window_end = window_name, window_start, window_end
        self.change_id, self.change_reference = change_id, reference

    @transition(
        field=status,
        source=UpdateStatus.SCHEDULED,
        target=UpdateStatus.APPLIED,
        permission=may_manage_updates,
    )
    def mark_applied(self, *, at, note: str = "") -> None:
        """The change that carried it was implemented."""
        self.closed_at, self.close_note = at, note

    @transition(
        field=status,
        source=[UpdateStatus.REGISTERED, UpdateStatus.ANALYSED, UpdateStatus.SCHEDULED],
        target=UpdateStatus.DISMISSED,
        permission=may_manage_updates,
    )
    def dismiss(self, *, at, note: str) -> None:
        """Not needed (superseded, not affected); the reason is kept."""
        self.closed_at, self.close_note = at, note
