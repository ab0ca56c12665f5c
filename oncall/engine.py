"""Who is on call, computed: pure functions over plain specs, no database.

Hand-offs are computed in the rotation's local wall-clock time and only then converted to
UTC, so a daily 09:00 hand-off stays at 09:00 local across daylight-saving changes (that
day's shift is 23 or 25 hours long). Local times that do not exist (the spring-forward
gap) are read with the offset before the gap and so move forward by the gap; ambiguous
times (fall-back) mean their first occurrence: the RFC 5545 rules, via zoneinfo's fold=0.

All instants returned are aware datetimes in UTC; intervals are half-open [start, end).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from itsm.business_time import CalendarSpec, public_holidays

UTC = dt.UTC
DAY = dt.timedelta(days=1)
# A window starts this far (in local time) before the shift it needs, so that no DST jump,
# not even Samoa skipping a whole day in 2011, hides the shift that contains its start.
SAFETY_MARGIN = dt.timedelta(days=2)
WEEKEND = frozenset({5, 6})

Interval = tuple[dt.datetime, dt.datetime]


class Restriction:
    """When a rotation's person is actually on call inside their shift."""

    NONE = "none"
    BUSINESS_HOURS = "business_hours"
    OUTSIDE_BUSINESS_HOURS = "outside_business_hours"
    WINDOWS = "windows"


@lru_cache(maxsize=128)
def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def to_utc(local: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """A naive local wall-clock time in `tz` as a UTC instant (fold=0, see module doc)."""
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def to_local(instant: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """A UTC instant as a naive local wall-clock time in `tz`."""
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)


def require_aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("on-call arithmetic needs time-zone-aware datetimes")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Window:
    """A weekly local time window: on `days` from `start` to `end`.

    `end` at or before `start` runs past midnight into the next day (18:00-09:00 is a
    night); equal times mean the whole day.
    """

    days: frozenset[int]
    start: dt.time
    end: dt.time

    def as_json(self) -> dict:
        return {
            "days": sorted(self.days),
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
        }

    @classmethod
    def from_json(cls, data: dict) -> Window:
        """Parse {"days": [0..6], "start": "HH:MM", "end": "HH:MM"}; ValueError when bad."""
        if not isinstance(data, dict):
            raise ValueError("a window is an object with days, start and end")
        days = data.get("days")
        if not isinstance(days, list) or not days:
            raise ValueError("days must be a non-empty list of weekday numbers (Monday = 0)")
        if any(not isinstance(d, int) or isinstance(d, bool) or d not in range(7) for d in days):
            raise ValueError("days must be weekday numbers from 0 (Monday) to 6 (Sunday)")
        try:
            start = dt.time.fromisoformat(str(data.get("start")))
            end = dt.time.fromisoformat(str(data.get("end")))
        except ValueError:
            raise ValueError("start and end must be times like 09:00") from None
        return cls(days=frozenset(days), start=start, end=end)


@dataclass(frozen=True)
class RotationSpec:
    id: int
    members: tuple[int, ...]  # user ids in rotation order; a person may appear twice
    anchor: dt.datetime  # naive local time of the first hand-off
    length: dt.timedelta  # wall-clock length of one shift (1 day, 7 days, N hours)
    time_zone: str = "UTC"
    layer: int = 1  # a higher layer wins
    restriction: str = Restriction.NONE
    windows: tuple[Window, ...] = ()
    calendar: CalendarSpec | None = None
    valid_from: dt.datetime | None = None  # aware; the rotation covers nothing before
    valid_until: dt.datetime | None = None  # aware; nor from this instant on

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zone(self.time_zone)

    def handoff(self, index: int) -> dt.datetime:
        """The UTC instant of hand-off number `index` (0 = the anchor)."""
        return to_utc(self.anchor + index * self.length, self.tz)

    def rank(self) -> tuple[int, int]:
        """Sort key of precedence: higher layer first, then the older rotation (lower id)."""
        return (-self.layer, self.id)


@dataclass(frozen=True)
class OverrideSpec:
    """Someone takes the shifts in [start, end): everyone's, or only `replaces`' (a swap)."""

    id: int
    user_id: int
    start: dt.datetime
    end: dt.datetime
    replaces_id: int | None = None


@dataclass(frozen=True)
class ScheduleSpec:
    rotations: tuple[RotationSpec, ...] = ()
    overrides: tuple[OverrideSpec, ...] = ()  # creation order: a later override wins


@dataclass(frozen=True)
class Shift:
    """One shift of one rotation, before restrictions: index `index` is `user_id`'s turn."""

    start: dt.datetime
    end: dt.datetime
    user_id: int
    index: int


@dataclass(frozen=True)
class Segment:
    """A stretch of the final schedule; user_id None is a gap (nobody on call)."""

    start: dt.datetime
    end: dt.datetime
    user_id: int | None
    rotation_id: int | None = None
    override_id: int | None = None
    layer: int | None = None

    @property
    def is_gap(self) -> bool:
        return self.user_id is None

    @property
    def duration(self) -> dt.timedelta:
        return self.end - self.start

    def key(self) -> tuple:
        return (self.user_id, self.rotation_id, self.override_id, self.layer)


# --- One rotation -----------------------------------------------------------------------------


def _clip(spec: RotationSpec, start: dt.datetime, end: dt.datetime) -> Interval | None:
    lo = max(start, spec.valid_from) if spec.valid_from else start
    hi = min(end, spec.valid_until) if spec.valid_until else end
    return (lo, hi) if lo < hi else None


def rotation_shifts(spec: RotationSpec, start: dt.datetime, end: dt.datetime) -> list[Shift]:
    """The rotation's shifts that overlap [start, end), clipped to it and to its validity."""
    start, end = require_aware(start), require_aware(end)
    clipped = _clip(spec, start, end)
    if clipped is None or not spec.members or spec.length <= dt.timedelta(0):
        return []
    lo, hi = clipped
    index = max(0, (to_local(lo, spec.tz) - SAFETY_MARGIN - spec.anchor) // spec.length)
    shifts: list[Shift] = []
    current = spec.handoff(index)
    while current < hi:
        # Hand-offs in a DST gap can map later than the next one: never let time run back.
        following = max(spec.handoff(index + 1), current)
        begin, finish = max(current, lo), min(following, hi)
        if begin < finish:
            shifts.append(Shift(begin, finish, spec.members[index % len(spec.members)], index))
        current, index = following, index + 1
    return shifts


def local_days(tz: zoneinfo.ZoneInfo, start: dt.datetime, end: dt.datetime) -> Iterable[dt.date]:
    """Every local date that can touch [start, end), with a day of margin each side."""
    day = to_local(start, tz).date() - 2 * DAY
    last = to_local(end, tz).date() + DAY
    while day <= last:
        yield day
        day += DAY


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping, non-empty intervals covering the same instants."""
    out: list[Interval] = []
    for begin, finish in sorted(i for i in intervals if i[0] < i[1]):
        if out and begin <= out[-1][1]:
            if finish > out[-1][1]:
                out[-1] = (out[-1][0], finish)
        else:
            out.append((begin, finish))
    return out


def clip_all(intervals: Iterable[Interval], start: dt.datetime, end: dt.datetime) -> list[Interval]:
    return merge((max(a, start), min(b, end)) for a, b in intervals)


def window_intervals(
    windows: Iterable[Window], tz: zoneinfo.ZoneInfo, start: dt.datetime, end: dt.datetime
) -> list[Interval]:
    found = []
    windows = list(windows)
    for day in local_days(tz, start, end):
        for window in windows:
            if day.weekday() not in window.days:
                continue
            close_day = day + DAY if window.end <= window.start else day
            found.append(
                (
                    to_utc(dt.datetime.combine(day, window.start), tz),
                    to_utc(dt.datetime.combine(close_day, window.end), tz),
                )
            )
    return clip_all(found, start, end)


def is_working_day(calendar: CalendarSpec, day: dt.date) -> bool:
    return (
        day.weekday() in calendar.work_days
        and day not in calendar.closed_days
        and (not calendar.country or day not in public_holidays(calendar.country, day.year))
    )


def business_intervals(
    calendar: CalendarSpec, start: dt.datetime, end: dt.datetime
) -> list[Interval]:
    """Working hours of the calendar (public holidays and closed days excluded), in UTC."""
    tz = calendar.zone
    found = []
    for day in local_days(tz, start, end):
        if is_working_day(calendar, day):
            found.append(
                (
                    to_utc(dt.datetime.combine(day, calendar.work_start), tz),
                    to_utc(dt.datetime.combine(day, calendar.work_end), tz),
                )
            )
    return clip_all(found, start, end)


def complement(intervals: list[Interval], start: dt.datetime, end: dt.datetime) -> list[Interval]:
    out, cursor = [], start
    for begin, finish in intervals:
        if begin > cursor:
            out.append((cursor, begin))
        cursor = max(cursor, finish)
    if cursor < end:
        out.append((cursor, end))
    return out


def coverage(spec: RotationSpec, start: dt.datetime, end: dt.datetime) -> list[Interval]:
    """When the rotation's restriction lets its person be on call inside [start, end)."""
    if spec.restriction == Restriction.NONE:
        return [(start, end)] if start < end else []
    if spec.restriction == Restriction.WINDOWS:
        return window_intervals(spec.windows, spec.tz, start, end)
    calendar = spec.calendar or CalendarSpec(country="", time_zone=spec.time_zone)
    business = business_intervals(calendar, start, end)
    if spec.restriction == Restriction.BUSINESS_HOURS:
        return business
    if spec.restriction == Restriction.OUTSIDE_BUSINESS_HOURS:
        return complement(business, start, end)
    raise ValueError(f"unknown restriction {spec.restriction!r}")


def intersect(shifts: list[Shift], allowed: list[Interval]) -> list[Shift]:
    """Cut each shift down to the allowed intervals (both lists sorted, two pointers)."""
    out: list[Shift] = []
    j = 0
    for shift in shifts:
        while j < len(allowed) and allowed[j][1] <= shift.start:
            j += 1
        k = j
        while k < len(allowed) and allowed[k][0] < shift.end:
            begin, finish = max(shift.start, allowed[k][0]), min(shift.end, allowed[k][1])
            if begin < finish:
                out.append(Shift(begin, finish, shift.user_id, shift.index))
            k += 1
    return out


def rotation_on_call(spec: RotationSpec, start: dt.datetime, end: dt.datetime) -> list[Shift]:
    """The stretches in [start, end) in which this rotation puts someone on call."""
    start, end = require_aware(start), require_aware(end)
    shifts = rotation_shifts(spec, start, end)
    if not shifts or spec.restriction == Restriction.NONE:
        return shifts
    return intersect(shifts, coverage(spec, shifts[0].start, shifts[-1].end))


# --- The whole schedule ---------------------------------------------------------------------


@dataclass
class _Piece:
    start: dt.datetime
    end: dt.datetime
    rank: tuple
    payload: object = field(default=None)


def resolve(spec: ScheduleSpec, start: dt.datetime, end: dt.datetime) -> list[Segment]:
    """The final schedule over [start, end): contiguous segments, gaps included.

    The highest layer with someone on call wins (the older rotation within a layer); then
    overrides apply in creation order, a later one on top of an earlier one. A swap (an
    override that replaces one person) applies only where that person would be on call.
    """
    start, end = require_aware(start), require_aware(end)
    if start >= end:
        return []
    pieces: list[_Piece] = []
    for rotation in spec.rotations:
        for shift in rotation_on_call(rotation, start, end):
            pieces.append(_Piece(shift.start, shift.end, rotation.rank(), (rotation, shift)))
    overrides = []
    for n, override in enumerate(spec.overrides):
        # UTC first: aware datetimes sharing one zone compare by wall clock in Python.
        o_start, o_end = require_aware(override.start), require_aware(override.end)
        if o_start < end and o_end > start and o_start < o_end:
            overrides.append(_Piece(max(o_start, start), min(o_end, end), (n,), override))
    cuts = {start, end}
    for piece in (*pieces, *overrides):
        cuts.update((piece.start, piece.end))
    bounds = sorted(c for c in cuts if start <= c <= end)

    pieces.sort(key=lambda p: p.start)
    overrides.sort(key=lambda p: p.start)
    active: list[_Piece] = []
    active_overrides: list[_Piece] = []
    next_piece = next_override = 0
    segments: list[Segment] = []
    for begin, finish in zip(bounds, bounds[1:], strict=False):
        while next_piece < len(pieces) and pieces[next_piece].start <= begin:
            active.append(pieces[next_piece])
            next_piece += 1
        while next_override < len(overrides) and overrides[next_override].start <= begin:
            active_overrides.append(overrides[next_override])
            next_override += 1
        active = [p for p in active if p.end > begin]
        active_overrides = [p for p in active_overrides if p.end > begin]

        segment = Segment(begin, finish, None)
        if active:
            rotation, shift = min(active, key=lambda p: p.rank).payload
            segment = Segment(begin, finish, shift.user_id, rotation.id, None, rotation.layer)
        for piece in sorted(active_overrides, key=lambda p: p.rank):
            override = piece.payload
            if override.replaces_id is None or override.replaces_id == segment.user_id:
                segment = Segment(
                    begin,
                    finish,
                    override.user_id,
                    segment.rotation_id,
                    override.id,
                    segment.layer,
                )
        if segments and segments[-1].key() == segment.key() and segments[-1].end == begin:
            segments[-1] = Segment(segments[-1].start, finish, *segment.key())
        else:
            segments.append(segment)
    return segments


def segment_at(spec: ScheduleSpec, at: dt.datetime) -> Segment:
    """The final schedule's segment at one instant (a gap segment when nobody is on call)."""
    at = require_aware(at)
    return resolve(spec, at, at + dt.timedelta(microseconds=1))[0]


def gaps(segments: Iterable[Segment]) -> list[Segment]:
    return [s for s in segments if s.is_gap]


def merge_by_person(segments: Iterable[Segment]) -> list[Segment]:
    """Adjacent segments of the same person as one (for "my shifts" and calendars)."""
    out: list[Segment] = []
    for segment in segments:
        if out and out[-1].user_id == segment.user_id and out[-1].end == segment.start:
            last = out[-1]
            out[-1] = Segment(
                last.start,
                segment.end,
                last.user_id,
                last.rotation_id,
                last.override_id or segment.override_id,
                last.layer,
            )
        else:
            out.append(segment)
    return out
