"""Cron schedules in a time zone: validation, next occurrence, a readable description.

Five fields (minute hour day-of-month month day-of-week), evaluated by croniter on the wall
clock of the plan's time zone. Daylight saving time, the way cron does it for fixed times:
a time that does not exist (spring forward) runs at the first instant after the gap, and a
time that happens twice (fall back) runs once, at its first occurrence.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

from croniter import CroniterError, croniter
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

# Enough look-ahead for "29 February on a Monday"-style expressions, not enough to hang.
MAX_YEARS_AHEAD = 30
_FIXED = re.compile(r"^\d+(,\d+)*$")


def validate_cron(expression: str) -> None:
    """Five fields that croniter understands and that occur at least once."""
    fields = (expression or "").split()
    if len(fields) != 5:
        raise ValidationError(
            _lazy("A schedule has five fields: minute hour day-of-month month day-of-week.")
        )
    try:
        if not croniter.is_valid(expression):
            raise ValueError(expression)
        next_occurrence(expression, "UTC", after=datetime(2000, 1, 1, tzinfo=UTC))
    except (ValueError, CroniterError, OverflowError) as exc:
        raise ValidationError(
            _lazy("“%(expr)s” is not a valid schedule."), params={"expr": expression}
        ) from exc


def _zone(time_zone: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(time_zone)


def _is_fixed_time(expression: str) -> bool:
    minute, hour = expression.split()[:2]
    return bool(_FIXED.match(minute) and _FIXED.match(hour))


def _is_repeat_of_earlier_wall_time(candidate: datetime) -> bool:
    """True for the second pass of an ambiguous local time (the hour repeated at fall back)."""
    naive = candidate.replace(tzinfo=None)
    zone = candidate.tzinfo
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    return first.utcoffset() != second.utcoffset() and candidate.utcoffset() == second.utcoffset()


def next_occurrence(expression: str, time_zone: str, *, after: datetime) -> datetime:
    """The first occurrence strictly after `after`, as an aware datetime in UTC."""
    zone = _zone(time_zone)
    start = after.astimezone(zone)
    iterator = croniter(expression, start)
    fixed = _is_fixed_time(expression)
    limit = start + timedelta(days=366 * MAX_YEARS_AHEAD)
    while True:
        candidate = iterator.get_next(datetime)
        if candidate > limit:
            raise ValueError(f"{expression!r} does not occur within {MAX_YEARS_AHEAD} years")
        if candidate <= start:
            continue  # croniter can hand back the same instant across a DST jump
        if fixed and _is_repeat_of_earlier_wall_time(candidate):
            continue
        return candidate.astimezone(UTC)


def occurrences(expression: str, time_zone: str, *, after: datetime, count: int) -> list[datetime]:
    """The next `count` occurrences after `after` (for previews on the plan page)."""
    found: list[datetime] = []
    moment = after
    for _i in range(count):
        moment = next_occurrence(expression, time_zone, after=moment)
        found.append(moment)
    return found


def _weekday_name(value: str) -> str | None:
    names = [_("Sunday"), _("Monday"), _("Tuesday"), _("Wednesday")]
    names += [_("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
    aliases = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
    if value.isdigit() and int(value) <= 7:
        return names[int(value)]
    if value.lower() in aliases:
        return names[aliases[value.lower()]]
    return None


def describe(expression: str) -> str:
    """A sentence for the common shapes; the expression itself for anything else."""
    try:
        minute, hour, dom, month, dow = expression.split()
    except ValueError:
        return expression
    if not (minute.isdigit() and hour.isdigit()):
        return expression
    at = f"{int(hour):02d}:{int(minute):02d}"
    if month != "*":
        return expression
    if dom == "*" and dow == "*":
        return _("Every day at %(time)s") % {"time": at}
    if dom == "*" and (day := _weekday_name(dow)):
        return _("Every %(weekday)s at %(time)s") % {"weekday": day, "time": at}
    if dow == "*" and dom.upper() == "L":
        return _("On the last day of every month at %(time)s") % {"time": at}
    if dow == "*" and dom.isdigit():
        return _("On day %(day)s of every month at %(time)s") % {"day": int(dom), "time": at}
    return expression


# Shown as suggestions in the plan form.
PRESETS = [
    ("0 3 * * *", _lazy("Every day at 03:00")),
    ("0 1 * * 0", _lazy("Every Sunday at 01:00")),
    ("0 2 * * 1", _lazy("Every Monday at 02:00")),
    ("0 0 1 * *", _lazy("On the 1st of every month at 00:00")),
    ("0 0 L * *", _lazy("On the last day of every month at 00:00")),
]
