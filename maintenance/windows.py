"""Which maintenance window an update or a standard change goes into. Pure: slots in, slot out.

Policy (DOMAIN.md): security patches go to the earliest suitable window; other updates give
stakeholders `notice_days` of notice. Every change waits for its class's lead time (business
days on the owning team's calendar, from the changes app's class policy). A window is
suitable when it covers every service worked on and no freeze period touching the affected
services overlaps it, unless the class is exempt from freezes (emergency changes).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from itsm.business_time import CalendarSpec, add_business_days

from .integration import ClassRules, WindowSlot


def earliest_start(
    *,
    now: datetime,
    rules: ClassRules,
    security: bool,
    notice_days: int,
    calendar: CalendarSpec | None = None,
) -> datetime:
    """The first instant a window may start for this update."""
    earliest = now
    if rules.lead_time_business_days:
        earliest = add_business_days(calendar or CalendarSpec(), now, rules.lead_time_business_days)
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
    freeze_exempt: bool = False,
    impacted_ids: set[int] | None = None,
    window_id: int | None = None,
) -> WindowSlot | None:
    """The first suitable window starting at or after `earliest`, or None.

    `service_ids` must all be covered by the window; freezes are checked against
    `impacted_ids` (default: the same services); `window_id` limits the choice to one window.
    """
    impacted = service_ids if impacted_ids is None else impacted_ids | service_ids
    for slot in sorted(slots, key=lambda s: (s.start, s.window_id or 0)):
        if window_id is not None and slot.window_id != window_id:
            continue
        if slot.start < earliest or not slot.covers(service_ids):
            continue
        if not freeze_exempt and _frozen(slot, freezes, impacted):
            continue
        return slot
    return None
