"""iCalendar (RFC 5545) feeds of on-call shifts, for a person and for a schedule.

Times are written in UTC (the "Z" form), so no VTIMEZONE is needed and every client shows
them in its own zone. The feed is a snapshot: a changed shift gets a new UID and the
calendar client drops the old one on its next refresh.
"""

from __future__ import annotations

import datetime as dt

import icalendar
from django.utils import timezone
from django.utils.translation import gettext as _

from . import engine, selectors
from .models import Schedule

PAST = dt.timedelta(days=30)
AHEAD = dt.timedelta(days=92)
PRODID = "-//ITSM portal//On call//EN"


def _calendar(name: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    # Ask clients to refresh hourly (RFC 7986 and the older Microsoft property).
    calendar.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    return calendar


def _event(
    *, uid: str, start, end, summary: str, description: str, url: str, now
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    event.add("transp", "OPAQUE")
    return event


def _uid(schedule_id: int, user_id: int | None, start: dt.datetime, host: str) -> str:
    who = user_id if user_id is not None else "gap"
    return f"oncall-{schedule_id}-{who}-{start:%Y%m%dT%H%M%SZ}@{host}"


def person_feed(user, *, base_url: str, host: str) -> bytes:
    now = timezone.now()
    calendar = _calendar(_("On call: %(user)s") % {"user": user})
    for shift in selectors.shifts_of_user(user, now - PAST, now + AHEAD):
        description = ""
        if shift.override is not None:
            description = _("Override: %(reason)s") % {"reason": shift.override.reason or "–"}
        calendar.add_component(
            _event(
                uid=_uid(shift.schedule.pk, user.pk, shift.start, host),
                start=shift.start,
                end=shift.end,
                summary=_("On call: %(schedule)s") % {"schedule": shift.schedule},
                description=description,
                url=base_url + shift.schedule.get_absolute_url(),
                now=now,
            )
        )
    return calendar.to_ical()


def schedule_feed(schedule: Schedule, *, base_url: str, host: str) -> bytes:
    """Everyone's shifts, and each gap in coverage as an event of its own."""
    now = timezone.now()
    line = selectors.timelines(
        selectors.schedules().filter(pk=schedule.pk), now - PAST, now + AHEAD
    )[0]
    calendar = _calendar(str(schedule))
    url = base_url + schedule.get_absolute_url()
    for segment in engine.merge_by_person(line.segments):
        person = line.person(segment.user_id)
        summary = (
            _("On call: %(user)s") % {"user": person}
            if person
            else _("GAP: nobody is on call for %(schedule)s") % {"schedule": schedule}
        )
        calendar.add_component(
            _event(
                uid=_uid(schedule.pk, segment.user_id, segment.start, host),
                start=segment.start,
                end=segment.end,
                summary=summary,
                description=str(schedule),
                url=url,
                now=now,
            )
        )
    return calendar.to_ical()
