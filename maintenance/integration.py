"""Everything maintenance needs from the other workflow apps, behind a few functions.

Changes (templates, windows, freeze periods, class policy) and incidents are wired here and
nowhere else. Should an app be missing from an installation, the function raises a
DomainError that says so; the run records it as the job's output. The backups app is asked
for its own verdict on the latest backup when it offers one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.apps import apps
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from itsm.audit import Source
from itsm.errors import DomainError
from itsm.models import Service, Team


@dataclass(frozen=True)
class WindowSlot:
    """One occurrence of a maintenance window (or a freeze period) on the change calendar."""

    start: datetime
    end: datetime
    name: str
    service_ids: frozenset[int] = frozenset()  # empty: every service
    window_id: int | None = None

    def covers(self, service_ids: set[int]) -> bool:
        return not self.service_ids or set(service_ids) <= self.service_ids

    def touches(self, service_ids: set[int]) -> bool:
        return not self.service_ids or bool(set(service_ids) & self.service_ids)


@dataclass(frozen=True)
class ChangeRef:
    id: int
    reference: str
    url: str = ""


def _model(app_label: str, name: str, what: str):
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        raise DomainError(
            _("%(what)s is not available: the %(app)s app does not provide it yet.")
            % {"what": what, "app": app_label},
            code="integration_unavailable",
        ) from None


def maintenance_windows(*, start: datetime, end: datetime) -> list[WindowSlot]:
    """Occurrences of the change calendar's maintenance windows within [start, end)."""
    window_model = _model("changes", "MaintenanceWindow", _("The change calendar"))
    slots = []
    for window in window_model.objects.prefetch_related("services"):
        service_ids = frozenset(s.pk for s in window.services.all())
        for begin, finish in window.occurrences(start, end):
            slots.append(WindowSlot(begin, finish, window.name, service_ids, window.pk))
    return sorted(slots, key=lambda slot: (slot.start, slot.window_id or 0))


def freeze_periods(*, start: datetime, end: datetime) -> list[WindowSlot]:
    """Freeze (blackout) periods overlapping [start, end)."""
    freeze_model = _model("changes", "FreezePeriod", _("The change calendar"))
    periods = freeze_model.objects.filter(start__lt=end, end__gt=start).prefetch_related("services")
    return [
        WindowSlot(p.start, p.end, p.name, frozenset(s.pk for s in p.services.all()), p.pk)
        for p in periods
    ]


SYSTEM_USERNAME = "maintenance"


def system_actor():
    """The account scheduled maintenance files changes as: it shows as the requester, so the
    change history says who asked. It cannot log in (no usable password) and holds only the
    permission to file changes, never to approve them."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "Scheduled", "last_name": "maintenance"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if not user.user_permissions.filter(codename="add_change").exists():
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="changes", codename="add_change")
        )
    return get_user_model().objects.get(pk=user.pk)  # a fresh instance: no stale perm cache


@dataclass(frozen=True)
class ClassRules:
    lead_time_business_days: int
    freeze_exempt: bool


def class_rules(change_class: str) -> ClassRules:
    """Lead time and freeze exemption of a change class, from the changes app's policy."""
    policy_model = _model("changes", "ChangeClassPolicy", _("The change class policy"))
    policy = policy_model.for_class(change_class)
    return ClassRules(policy.lead_time_business_days, policy.freeze_exempt)


def _ref(change) -> ChangeRef:
    return ChangeRef(change.pk, change.reference, change.get_absolute_url())


def create_standard_change(
    *,
    template_id: int,
    title: str,
    description: str,
    services: list[Service],
    owner_team: Team | None,
    start: datetime,
    end: datetime,
) -> ChangeRef:
    """A standard change from an approved template, planned into [start, end), its
    checklist assigned to `owner_team`. Called by the "standard_change" job. It starts
    approved when the class policy allows; the owning team assigns the implementer."""
    _model("changes", "Change", _("Standard changes"))
    from changes.models import StandardTemplate
    from changes.services import change_create_from_template

    if not StandardTemplate.objects.filter(pk=template_id).exists():
        raise DomainError(_("The job's standard change template no longer exists."))
    fields = {"owner_team": owner_team} if owner_team else {}
    change = change_create_from_template(
        actor=system_actor(),
        source=Source.SYSTEM,
        template_id=template_id,
        planned_start=start,
        planned_end=end,
        services=services or None,
        title=title,
        description=description,
        **fields,
    )
    return _ref(change)


UPDATE_PLANS = {
    "execution_plan": _lazy(
        "Apply the update following the vendor's notes; check each affected service after."
    ),
    "rollback_plan": _lazy("Reinstall the previous version and restart the affected services."),
    "backup_plan": _lazy(
        "Take a backup or snapshot of the affected systems and confirm it before starting."
    ),
}


def create_update_change(
    *,
    title: str,
    description: str,
    change_class: str,
    services: list[Service],
    owner_team: Team | None,
    start: datetime,
    end: datetime,
) -> ChangeRef:
    """A change that applies a pending update in a maintenance window, submitted so that
    it is assessed and approved like any other change of its class."""
    _model("changes", "Change", _("Changes"))
    from changes.services import change_create, change_submit

    actor = system_actor()
    change = change_create(
        actor=actor,
        source=Source.SYSTEM,
        title=title,
        services=services,
        change_class=change_class,
        description=description,
        owner_team=owner_team,
        planned_start=start,
        planned_end=end,
        **{name: str(text) for name, text in UPDATE_PLANS.items()},
    )
    change = change_submit(change_id=change.pk, actor=actor, source=Source.SYSTEM)
    return _ref(change)


def open_incident(*, title: str, description: str, service: Service | None) -> str:
    """Open an incident for a failed maintenance run (P3 by the default matrix: one function
    affected, act now); returns its reference."""
    _model("incidents", "Incident", _("Incidents"))
    from incidents.models import Incident
    from incidents.models.policy import BusinessImpact, Scope, Urgency
    from incidents.services import incident_report

    if service is None:
        raise DomainError(_("No incident was opened: the plan names no service to open it on."))
    incident = incident_report(
        actor=None,
        source=Source.SYSTEM,
        title=title,
        description=description,
        service=service,
        scope=Scope.ONE_FUNCTION,
        business_impact=BusinessImpact.MINOR,
        urgency=Urgency.IMMEDIATE,
        detected_by=Incident.Source.OPERATIONS,
    )
    return incident.reference


@dataclass(frozen=True)
class BackupCheck:
    ok: bool
    message: str
    details: dict


def latest_backup_check(*, now: datetime, max_age_hours: int) -> BackupCheck | None:
    """The backups app's verdict on the portal's own latest backup, or None when there is no
    portal backup target (the job then inspects the newest file under the backups folder).

    A backup not yet verified is verified now (checksum, test restore, row counts: the
    backups app's own procedure); a verified one has its file checked against its checksum
    again, since a file can rot after it was verified. The age is held against the target's
    RPO, or `max_age_hours` when the target has none.
    """
    try:
        run_model = apps.get_model("backups", "BackupRun")
        target_model = apps.get_model("backups", "BackupTarget")
    except LookupError:
        return None
    target = target_model.objects.filter(is_portal=True).first()
    if target is None:
        return None
    from django.urls import reverse

    from backups.portal import storage
    from backups.portal.backup import portal_verify

    status = run_model.Status
    limit = target.rpo or timedelta(hours=max_age_hours)
    run = (
        run_model.objects.filter(target=target, status__in=run_model.HOLDS_DATA)
        .order_by("-finished_at", "-pk")
        .first()
    )
    if run is None:
        return BackupCheck(
            False,
            _("No backup of the portal's database is on record (target “%(target)s”).")
            % {"target": target.name},
            {"target": target.pk},
        )
    lines, problems = [], []
    if run.status == status.SUCCEEDED:
        run = portal_verify(run_id=run.pk, actor=None, source=Source.SYSTEM)
        lines.append(_("Verified now: %(note)s") % {"note": run.verification_note or "-"})
    elif run.status == status.VERIFIED and run.location:
        path = Path(run.location)
        if not path.is_file():
            problems.append(_("The backup file is missing: %(path)s") % {"path": path})
        elif storage.sha256(path) != run.checksum:
            problems.append(_("The file no longer matches its checksum: it was damaged."))
        else:
            lines.append(_("Verified earlier; the file still matches its checksum."))
    if run.status == status.VERIFICATION_FAILED:
        problems.append(
            _("Its verification failed: %(reason)s") % {"reason": run.failure_reason or "-"}
        )
    point = run.recovery_point or run.finished_at or now
    age = now - point
    if age > limit:
        problems.append(
            _("It is %(age)s old, beyond the recovery point objective of %(limit)s.")
            % {"age": str(age).split(".")[0], "limit": limit}
        )
    head = _("Latest portal backup: run #%(run)s, %(status)s, recovery point %(point)s UTC.") % {
        "run": run.pk,
        "status": run.get_status_display(),
        "point": f"{point:%Y-%m-%d %H:%M}",
    }
    details = {
        "run": run.pk,
        "status": run.status,
        "age_hours": round(age.total_seconds() / 3600, 1),
        "rpo_hours": round(limit.total_seconds() / 3600, 1),
        "url": reverse("backups:run", args=[run.pk]),
    }
    return BackupCheck(not problems, "\n".join([head, *lines, *problems]), details)
