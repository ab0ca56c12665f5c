"""Business-time arithmetic: working hours, weekends and public holidays of a country.

Everything here is pure: a CalendarSpec in, instants out, so it is cheap to test with
hypothesis. Arithmetic is done in UTC (aware datetimes that share a tzinfo subtract without
their offsets in Python), while day boundaries are taken in the calendar's time zone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from functools import lru_cache

import holidays

UTC = dt.UTC
# Longest span walked day by day before giving up: ten years covers any SLA or lead time.
MAX_DAYS = 3660


@dataclass(frozen=True)
class CalendarSpec:
    country: str = "KR"
    time_zone: str = "Asia/Seoul"
    work_start: dt.time = dt.time(9, 0)
    work_end: dt.time = dt.time(18, 0)
    work_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    closed_days: frozenset[dt.date] = field(default_factory=frozenset)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


@lru_cache(maxsize=256)
def public_holidays(country: str, year: int) -> dict[dt.date, str]:
    """The public holidays (substitute holidays included) of a country in one year."""
    return dict(holidays.country_holidays(country, years=year))


def is_working_day(spec: CalendarSpec, day: dt.date) -> bool:
    return (
        day.weekday() in spec.work_days
        and day not in spec.closed_days
        and day not in public_holidays(spec.country, day.year)
    )


def holiday_name(spec: CalendarSpec, day: dt.date) -> str | None:
    """Why a weekday is closed, for display; None on a working day or a weekend."""
    if day in spec.closed_days:
        return "closed"
    return public_holidays(spec.country, day.year).get(day)


def working_interval(spec: CalendarSpec, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """The working hours of one local day as a UTC interval, or None on a closed day."""
    if not is_working_day(spec, day):
        return None
    start = dt.datetime.combine(day, spec.work_start, tzinfo=spec.zone).astimezone(UTC)
    end = dt.datetime.combine(day, spec.work_end, tzinfo=spec.zone).astimezone(UTC)
    return start, end


def _require_aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("business-time arithmetic needs time-zone-aware datetimes")
    return value.astimezone(UTC)


def add_business_duration(
    spec: CalendarSpec, start: dt.datetime, duration: dt.timedelta
) -> dt.datetime:
    """The instant at which `duration` of working time has passed since `start`.

    A zero duration returns `start` itself. A result that falls exactly on the end of a
    working day stays there (it does not jump to the next morning).
    """
    if duration < dt.timedelta(0):
        raise ValueError("duration must not be negative")
    start = _require_aware(start)
    if duration == dt.timedelta(0):
        return start
    remaining = duration
    day = start.astimezone(spec.zone).date()
    for _ in range(MAX_DAYS):
        interval = working_interval(spec, day)
        if interval is not None:
            begin, end = max(interval[0], start), interval[1]
            if begin < end:
                available = end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += dt.timedelta(days=1)
    raise ValueError("no working time within ten years: check the calendar's working days")


def business_time_between(spec: CalendarSpec, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """Working time inside [start, end); zero when end is not after start."""
    start, end = _require_aware(start), _require_aware(end)
    if end <= start:
        return dt.timedelta(0)
    total = dt.timedelta(0)
    day = start.astimezone(spec.zone).date()
    last = end.astimezone(spec.zone).date()
    while day <= last:
        interval = working_interval(spec, day)
        if interval is not None:
            begin, finish = max(interval[0], start), min(interval[1], end)
            if begin < finish:
                total += finish - begin
        day += dt.timedelta(days=1)
    return total


def add_business_days(spec: CalendarSpec, start: dt.datetime, days: int) -> dt.datetime:
    """`days` whole working days after `start` (same local time of day, next working day).

    Used for lead times ("3 business days before the planned start"): each step skips
    weekends, public holidays and closed days.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    local = _require_aware(start).astimezone(spec.zone)
    day, counted = local.date(), 0
    for _ in range(MAX_DAYS):
        if counted == days:
            break
        day += dt.timedelta(days=1)
        if is_working_day(spec, day):
            counted += 1
    else:
        raise ValueError("no working days within ten years: check the calendar")
    return dt.datetime.combine(day, local.time(), tzinfo=spec.zone).astimezone(UTC)


def business_days_between(spec: CalendarSpec, start: dt.datetime, end: dt.datetime) -> int:
    """Working days strictly after start's local date up to and including end's local date."""
    first = _require_aware(start).astimezone(spec.zone).date()
    last = _require_aware(end).astimezone(spec.zone).date()
    count, day = 0, first
    while day < last:
        day += dt.timedelta(days=1)
        if is_working_day(spec, day):
            count += 1
    return count
