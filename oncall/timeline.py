"""Turn resolved shifts into what the timeline page draws: bars placed in percent of the
window, a day ruler in the viewer's time zone, one colour per person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from . import engine

COLOURS = 8  # .oncall-person-0 … -7 in the page's stylesheet


@dataclass
class Bar:
    left: float
    width: float
    start: dt.datetime
    end: dt.datetime
    label: str
    css: str
    user_id: int | None = None


@dataclass
class Tick:
    left: float
    day: dt.date
    weekend: bool


def window(start_day: dt.date, days: int) -> tuple[dt.datetime, dt.datetime]:
    """Local midnight of `start_day` to local midnight `days` later, in the active zone."""
    tz = timezone.get_current_timezone()
    begin = engine.to_utc(dt.datetime.combine(start_day, dt.time(0)), tz)
    end = engine.to_utc(dt.datetime.combine(start_day + dt.timedelta(days=days), dt.time(0)), tz)
    return begin, end


def _percent(value: dt.timedelta, total: dt.timedelta) -> float:
    return round(100 * value / total, 4)


class Palette:
    """A stable colour per person within one page."""

    def __init__(self):
        self._index: dict[int, int] = {}

    def css(self, user_id: int | None) -> str:
        if user_id is None:
            return "oncall-gap"
        index = self._index.setdefault(user_id, len(self._index) % COLOURS)
        return f"oncall-person-{index}"


def bars(items, start: dt.datetime, end: dt.datetime, people: dict, palette: Palette) -> list[Bar]:
    """Bars for segments or shifts (anything with start, end and user_id)."""
    total = end - start
    out = []
    for item in items:
        person = people.get(item.user_id) if item.user_id else None
        out.append(
            Bar(
                left=_percent(item.start - start, total),
                width=_percent(item.end - item.start, total),
                start=item.start,
                end=item.end,
                label=str(person) if person else "",
                css=palette.css(item.user_id),
                user_id=item.user_id,
            )
        )
    return out


def ticks(start: dt.datetime, end: dt.datetime) -> list[Tick]:
    tz = timezone.get_current_timezone()
    total = end - start
    day = engine.to_local(start, tz).date()
    out = []
    while True:
        at = engine.to_utc(dt.datetime.combine(day, dt.time(0)), tz)
        if at >= end:
            break
        if at >= start:
            out.append(Tick(_percent(at - start, total), day, day.weekday() in engine.WEEKEND))
        day += dt.timedelta(days=1)
    return out
