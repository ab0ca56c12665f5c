"""Which maintenance window an update or a standard change goes into. Pure: slots in, slot out.

Policy (DOMAIN.md): security patches go to the earliest suitable window; other updates wait
for the lead time of their change class and give stakeholders `notice_days` of notice. A
window is suitable when it covers every affected service and no freeze period touching those
services overlaps it (emergency changes may go into a freeze).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from itsm.business_time import CalendarSpec, add_business_days

from .integration import WindowSlot

# Lead times of DOMAIN.md until the changes app's class policy is read instead.
LEAD_BUSINESS_DAYS = {"standard": 0, "emergency": 0, "normal": 3, "major": 0}
LEAD_CALENDAR_DAYS = {"major": 7}


def earliest_start(
    *,
    now: datetime,
    change_class: str,
    security: bool,
    notice_days: int,
    calendar: CalendarSpec | None = None,
) -> datetime:
    """The first instant a window may start for this update."""
    earliest = now
    business_days = LEAD_BUSINESS_DAYS.get(change_class, 0)
    if business_days:
        earliest = add_business_days(calendar or CalendarSpec(), earliest, business_days)
    earliest += timedelta(days=LEAD_CALENDAR_DAYS.get(change_class, 0))
    if not security:
        earliest = max(earliest, now + timedelta(days=notice_days))
    return earliest


def _frozen(slot: WindowSlot, freezes: list[WindowSlot], service_ids: set[int]) -> bool:
    return any(
        f.start < slot.end and f.end > slot.start and f.touches(service_ids) for f in freezes
    )


def choose_window(
    slots: list[WindowSlot],
    freezes: list[WindowSlot],
    *,
    service_ids: set[int],
    earliest: datetime,
    change_class: str,
) -> WindowSlot | None:
    """The first suitable window starting at or after `earliest`, or None."""
    for slot in sorted(slots, key=lambda s: (s.start, s.window_id or 0)):
        if slot.start < earliest or not slot.covers(service_ids):
            continue
        if change_class != "emergency" and _frozen(slot, freezes, service_ids):
            continue
        return slot
    return None
