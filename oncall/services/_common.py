"""Helpers shared by the on-call services: permission refusal, row locks, checks."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from itsm.errors import DomainError
from itsm.models import Team, validate_time_zone

from ..models import Schedule

MAX_MEMBERS = 100
MAX_LAYER = 99
MAX_SHIFT_HOURS = 24 * 92
MAX_OVERRIDE = dt.timedelta(days=366)
# Fields whose change alters who is on call: editing them on a started rotation splits it.
SHIFT_FIELDS = {
    "layer",
    "kind",
    "shift_length_hours",
    "start_date",
    "handoff_time",
    "restriction",
    "windows",
    "members",
}


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not change this on-call schedule."))


def lock_schedule(schedule_id: int) -> Schedule:
    try:
        return Schedule.objects.select_for_update().select_related("team").get(pk=schedule_id)
    except Schedule.DoesNotExist:
        raise DomainError(_("This on-call schedule does not exist."), field="schedule") from None


def check_time_zone(value: str) -> None:
    try:
        validate_time_zone(value)
    except Exception:
        raise DomainError(
            _("Unknown time zone: %(tz)s") % {"tz": value}, field="time_zone"
        ) from None


def check_level(team: Team, level: int, exclude: int | None = None) -> None:
    if not 1 <= int(level) <= 9:
        raise DomainError(_("The escalation level must be between 1 and 9."), field="level")
    clash = Schedule.objects.filter(team=team, level=level).exclude(pk=exclude)
    if clash.exists():
        raise DomainError(
            _("%(team)s already has a schedule for level %(level)s.")
            % {"team": team.name, "level": level},
            field="level",
        )
