"""Everything maintenance needs from the other workflow apps, behind a few functions.

The changes, incidents and backups apps are built beside this one. Until one provides what
a function needs, the function raises a DomainError that says so; the run records that
message as the job's output, so an administrator sees exactly what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.utils.translation import gettext as _

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
    checklist assigned to `owner_team`. Called by the "standard_change" job."""
    raise DomainError(
        _(
            "Standard changes cannot be created yet: the changes app does not provide "
            "changes from templates on this installation."
        ),
        code="integration_unavailable",
    )


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
    """A change that applies a pending update, planned into a maintenance window."""
    raise DomainError(
        _(
            "Updates cannot be scheduled as changes yet: the changes app does not provide "
            "changes on this installation."
        ),
        code="integration_unavailable",
    )


def open_incident(*, title: str, description: str, service: Service | None) -> str:
    """Open an incident for a failed maintenance run; returns its reference."""
    raise DomainError(
        _(
            "No incident was opened: the incidents app does not provide incidents on this "
            "installation yet."
        ),
        code="integration_unavailable",
    )


@dataclass(frozen=True)
class BackupCheck:
    ok: bool
    message: str
    details: dict


def latest_backup_check(*, now: datetime, max_age_hours: int) -> BackupCheck | None:
    """The backups app's own verdict on the portal's latest backup, or None when the app
    exposes none yet (the job then inspects the newest file under the backups folder)."""
    try:
        from backups import services as backup_services  # noqa: F401
    except ImportError:
        return None
    verify = getattr(backup_services, "portal_backup_verify_latest", None)
    if verify is None:
        return None
    result = verify(now=now, max_age_hours=max_age_hours)
    return BackupCheck(bool(result.ok), str(result.message), dict(result.details or {}))
