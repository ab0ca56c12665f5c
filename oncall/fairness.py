"""Fairness accounting: on-call time per person, with nights, weekends and holidays.

Pure functions over resolved segments (oncall.engine), measured in elapsed time in one
time zone: a night across a daylight-saving change is 7 or 9 hours long.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from .engine import WEEKEND, Interval, Segment, local_days, merge_by_person, require_aware, to_utc

# Night work is 22:00-06:00 under the Korean Labour Standards Act (Art. 56); Japan's
# Labour Standards Act counts 22:00-05:00. The wider Korean span is used.
NIGHT_START = dt.time(22, 0)
NIGHT_END = dt.time(6, 0)
DAY = dt.timedelta(days=1)


@dataclass
class Tally:
    """On-call time of one person in one period."""

    total: dt.timedelta = dt.timedelta(0)
    night: dt.timedelta = dt.timedelta(0)
    weekend: dt.timedelta = dt.timedelta(0)
    holiday: dt.timedelta = dt.timedelta(0)
    shifts: int = 0

    def add(self, other: Tally) -> None:
        self.total += other.total
        self.night += other.night
        self.weekend += other.weekend
        self.holiday += other.holiday
        self.shifts += other.shifts

    @staticmethod
    def hours(value: dt.timedelta) -> float:
        return round(value.total_seconds() / 3600, 2)


def _overlap(a: Interval, b: Interval) -> dt.timedelta:
    begin, finish = max(a[0], b[0]), min(a[1], b[1])
    return finish - begin if begin < finish else dt.timedelta(0)


@lru_cache(maxsize=4096)
def _day_marks(day: dt.date, tz: zoneinfo.ZoneInfo) -> tuple[dt.datetime, ...]:
    """Midnight, end of night, start of night and next midnight of a local day, in UTC."""
    return (
        to_utc(dt.datetime.combine(day, dt.time(0)), tz),
        to_utc(dt.datetime.combine(day, NIGHT_END), tz),
        to_utc(dt.datetime.combine(day, NIGHT_START), tz),
        to_utc(dt.datetime.combine(day + DAY, dt.time(0)), tz),
    )


def classify(
    start: dt.datetime,
    end: dt.datetime,
    tz: zoneinfo.ZoneInfo,
    is_holiday: Callable[[dt.date], bool] = lambda day: False,
) -> Tally:
    """Split [start, end) into total, night (22-06), weekend and public-holiday time.

    The categories overlap on purpose (a Saturday night counts as night and as weekend);
    each is measured in elapsed time, so a night across a DST change is 7 or 9 hours.
    """
    start, end = require_aware(start), require_aware(end)  # same-zone subtraction ignores DST
    tally = Tally(total=end - start if start < end else dt.timedelta(0))
    if start >= end:
        return tally
    for day in local_days(tz, start, end):
        midnight, night_end, night_start, next_midnight = _day_marks(day, tz)
        tally.night += _overlap((start, end), (midnight, night_end))
        tally.night += _overlap((start, end), (night_start, next_midnight))
        if day.weekday() in WEEKEND:
            tally.weekend += _overlap((start, end), (midnight, next_midnight))
        if is_holiday(day):
            tally.holiday += _overlap((start, end), (midnight, next_midnight))
    return tally


def month_bounds(year: int, month: int, tz: zoneinfo.ZoneInfo) -> Interval:
    """The UTC interval of one calendar month in a time zone."""
    first = dt.datetime(year, month, 1)
    following = dt.datetime(year + month // 12, month % 12 + 1, 1)
    return to_utc(first, tz), to_utc(following, tz)


def per_person(
    segments: Iterable[Segment],
    tz: zoneinfo.ZoneInfo,
    is_holiday: Callable[[dt.date], bool] = lambda day: False,
) -> dict[int, Tally]:
    """On-call time per person over `segments` (gaps are not counted)."""
    tallies: dict[int, Tally] = {}
    for segment in merge_by_person(segments):
        if segment.user_id is None:
            continue
        tally = classify(segment.start, segment.end, tz, is_holiday)
        tally.shifts = 1
        tallies.setdefault(segment.user_id, Tally()).add(tally)
    return tallies
