"""SLA clocks: start, pause, resume, stop and re-target; warnings and the breach, once each.

Every function locks the clock row and ends in `_sync`, which records each threshold the
clock has crossed by now (warnings, then the breach) exactly once, and arms a Timer for
each threshold still ahead so that the sweeper notices it when nobody else does. A crossing
is recorded at the instant it happened, not when it was noticed; the Timer's `late_by` says
how late the notice came.

Lock order: clock row, then its timer rows. Inside a sweep nothing waits: the handler only
*tries* the clock row and its other timer rows (skip_locked), so neither a transition and
a sweep nor two sweeps can deadlock; whatever it skips is re-checked by a later handler.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.errors import Conflict, DomainError

from . import services
from .models import Clock
from .registry import timer_handler
from .signals import clock_breached, clock_warned

TIMER_KIND = "timers.clock"
BREACH_KEY = "breach"


def _warn_key(fraction: float) -> str:
    return f"warn:{fraction:g}"


def _subject_filter(subject: models.Model) -> dict:
    return {
        "content_type": ContentType.objects.get_for_model(subject),
        "object_id": str(subject.pk),
    }


def _lock(subject: models.Model, name: str) -> Clock:
    return (
        Clock.objects.select_for_update(of=("self",))
        .select_related("calendar")
        .get(**_subject_filter(subject), name=name)
    )


def _clean_fractions(fractions: Iterable[float]) -> list[float]:
    cleaned = sorted({round(float(f), 6) for f in fractions})
    if any(not 0 < f < 1 for f in cleaned):
        raise DomainError(_("Warning fractions must lie between 0 and 1 (e.g. 0.75)."))
    return cleaned


def _check_target(target: timedelta) -> None:
    if target <= timedelta(0):
        raise DomainError(_("A clock's target must be longer than zero."))


def _checked(clock: Clock, at: datetime | None) -> datetime:
    at = at or timezone.now()
    if at < clock.last_change():
        raise DomainError(
            _("The clock %(name)s cannot change before its last change.") % {"name": clock.name}
        )
    return at


# --- the one place where thresholds are recorded and timers armed ----------------------------
def _sync(clock: Clock, now: datetime, *, in_sweep: bool = False) -> None:
    """Record every threshold crossed by `now`, arm timers for the rest, save the clock.

    `in_sweep`: called by the timer handler, which must never wait for a lock (another
    sweeper may hold this clock's other timer rows while it waits for ours).
    """
    pending = [(f, clock.target * f) for f in clock.warn_fractions]
    pending = [(f, amount) for f, amount in pending if f not in clock.warned_fractions]
    if clock.breached_at is None:
        pending.append((None, clock.target))
    crossed: list[tuple[float | None, datetime]] = []
    for fraction, amount in pending:
        key = BREACH_KEY if fraction is None else _warn_key(fraction)
        instant = clock.crossing(amount)
        if instant is not None and instant <= now:
            crossed.append((fraction, instant))
            services.timer_cancel(subject=clock, kind=TIMER_KIND, key=key, skip_locked=in_sweep)
        elif instant is not None and clock.is_running:
            services.timer_arm(
                subject=clock,
                kind=TIMER_KIND,
                key=key,
                due_at=instant,
                payload={"f": fraction},
                skip_locked=in_sweep,
            )
        else:
            services.timer_cancel(subject=clock, kind=TIMER_KIND, key=key, skip_locked=in_sweep)
    for fraction, instant in crossed:
        if fraction is None:
            clock.breached_at = instant
        else:
            clock.warned_fractions = sorted([*clock.warned_fractions, fraction])
            clock.warned_at = max(filter(None, [clock.warned_at, instant]))
    clock.deadline_at = clock.crossing(clock.target) if clock.is_running else None
    clock.save()
    # Signals go out after the clock row holds the facts, warnings before the breach.
    for fraction, instant in crossed:
        if fraction is not None:
            clock_warned.send(sender=Clock, clock=clock, fraction=fraction, at=instant)
    for fraction, instant in crossed:
        if fraction is None:
            clock_breached.send(sender=Clock, clock=clock, at=instant)


# --- the public API -----------------------------------------------------------------------------
@transaction.atomic
def clock_start(
    *,
    subject: models.Model,
    name: str,
    target: timedelta,
    mode: str = Clock.Mode.CALENDAR,
    calendar=None,
    started_at: datetime | None = None,
    warn_fractions: Iterable[float] = (0.75,),
) -> Clock:
    """Start a named clock on `subject`. A clock runs once: starting it again is a conflict.

    `started_at` may lie in the past (a ticket filed earlier); thresholds already crossed
    are recorded at once, at the instants they were crossed.
    """
    _check_target(target)
    if mode not in Clock.Mode.values:
        raise DomainError(_("Unknown clock mode: %(mode)s") % {"mode": mode})
    if mode == Clock.Mode.BUSINESS and calendar is None:
        raise DomainError(_("A business-time clock needs a business calendar."))
    now = timezone.now()
    started_at = started_at or now
    if Clock.objects.filter(**_subject_filter(subject), name=name).exists():
        raise Conflict(_("The clock %(name)s has already started.") % {"name": name})
    clock = Clock(
        **_subject_filter(subject),
        name=name,
        target=target,
        mode=mode,
        calendar=calendar if mode == Clock.Mode.BUSINESS else None,
        started_at=started_at,
        resumed_at=started_at,
        warn_fractions=_clean_fractions(warn_fractions),
    )
    try:
        with transaction.atomic():  # the unique constraint settles two concurrent starts
            clock.save()
    except IntegrityError:
        raise Conflict(_("The clock %(name)s has already started.") % {"name": name}) from None
    _sync(clock, max(now, started_at))
    return clock


@transaction.atomic
def clock_pause(*, subject: models.Model, name: str, at: datetime | None = None) -> Clock:
    """Stop counting (the ticket waits on the reporter). Pausing a paused clock does nothing."""
    clock = _lock(subject, name)
    if not clock.is_running:
        return clock
    at = _checked(clock, at)
    clock.mark_paused(at)
    # Thresholds crossed before the pause are recorded now, even if no sweep noticed them.
    _sync(clock, max(at, timezone.now()))
    return clock


@transaction.atomic
def clock_resume(*, subject: models.Model, name: str, at: datetime | None = None) -> Clock:
    """Count again from `at`. A stopped clock resumes too (a ticket reopened)."""
    clock = _lock(subject, name)
    if clock.is_running:
        return clock
    at = _checked(clock, at)
    clock.mark_resumed(at)
    _sync(clock, max(at, timezone.now()))
    return clock


@transaction.atomic
def clock_stop(*, subject: models.Model, name: str, at: datetime | None = None) -> Clock:
    """Stop for good (responded, resolved). The elapsed time and any breach stay recorded."""
    clock = _lock(subject, name)
    if clock.is_stopped:
        return clock
    at = _checked(clock, at)
    clock.mark_stopped(at)
    _sync(clock, max(at, timezone.now()))
    return clock


@transaction.atomic
def clock_retarget(*, subject: models.Model, name: str, target: timedelta) -> Clock:
    """Change the target (a new priority), counted from the original start.

    Paused time stays excluded. Warnings not yet reached under the new target fire again; a
    recorded breach is a fact and stays, even if the new target lies further out.
    """
    _check_target(target)
    clock = _lock(subject, name)
    if clock.target == target:
        return clock
    now = timezone.now()
    clock.target = target
    # The calendar may have changed since the segments closed: count them again.
    clock.elapsed_before_pause = sum(
        (clock.span(a, b) for a, b in clock.closed_segments()), timedelta(0)
    )
    still_ahead = []
    for fraction in clock.warned_fractions:
        instant = clock.crossing(target * fraction)
        if instant is None or instant > now:
            still_ahead.append(fraction)
    if still_ahead:
        clock.warned_fractions = [f for f in clock.warned_fractions if f not in still_ahead]
        if not clock.warned_fractions:
            clock.warned_at = None
    _sync(clock, now)
    return clock


def clocks_for(subject: models.Model) -> list[Clock]:
    """The clocks of one object, oldest first, ready for `timers/_clocks.html`."""
    return list(
        Clock.objects.filter(**_subject_filter(subject))
        .select_related("calendar")
        .prefetch_related("calendar__closed_days")
    )


def clock_check(*, clock_id: int, now: datetime | None = None) -> bool:
    """Record whatever thresholds a clock has crossed; the timer handler's body.

    Returns False when a transaction of a clock function holds the row: that function ends
    in `_sync` itself, and the sweeper retries the timer if that transaction rolls back.
    """
    now = now or timezone.now()
    with transaction.atomic():
        clock = (
            Clock.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("calendar")
            .filter(pk=clock_id)
            .first()
        )
        if clock is None:
            if Clock.objects.filter(pk=clock_id).exists():
                raise services.TimerBusy(f"clock {clock_id} is locked")
            return True  # the clock was deleted: nothing to record
        if clock.subject is None:
            # Its ticket was deleted (clocks hang on a generic relation): stop quietly
            # rather than send signals that receivers cannot resolve.
            services.timer_cancel(subject=clock, kind=TIMER_KIND, skip_locked=True)
            return True
        _sync(clock, now, in_sweep=True)
    return True


@timer_handler(TIMER_KIND)
def on_clock_timer(timer, *, now: datetime) -> None:
    clock_check(clock_id=int(timer.object_id), now=now)
