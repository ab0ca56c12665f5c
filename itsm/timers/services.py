"""Arm, cancel and fire timers. The sweeper and the ETA fast path both end in `fire`."""

from __future__ import annotations

import enum
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import SweepStat, Timer
from .registry import get_handler

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
PROBE_KIND = "timers.probe"


def eta_horizon() -> timedelta:
    """How near a deadline must be for an ETA task. ETA tasks are only a fast path; they
    stay far below the broker's visibility timeout (Redis re-delivers unacknowledged tasks
    after it, 3600 s in settings), and the sweeper fires the timer anyway if one is lost."""
    return timedelta(seconds=getattr(settings, "TIMER_ETA_HORIZON", 300))


def _subject_filter(subject: models.Model) -> dict:
    return {
        "content_type": ContentType.objects.get_for_model(subject),
        "object_id": str(subject.pk),
    }


@transaction.atomic
def timer_arm(
    *,
    subject: models.Model,
    kind: str,
    due_at: datetime,
    key: str = "",
    payload: dict | None = None,
    fast_path: bool = True,
    skip_locked: bool = False,
) -> Timer | None:
    """Arm (or re-target) the one armed timer of this subject, kind and key.

    A near deadline also gets an ETA task carrying the timer's fresh token; re-arming or
    cancelling makes that task a no-op. The sweeper alone is enough: the task only makes
    near deadlines exact to the second.

    `skip_locked` is for code running inside a sweep: a timer row that another sweeper holds
    is left alone (None is returned) instead of waited for, so sweepers never deadlock.
    """
    armed = Timer.objects.filter(
        **_subject_filter(subject), kind=kind, key=key, state=Timer.State.ARMED
    )
    timer = armed.select_for_update(skip_locked=skip_locked).first()
    if timer is None and skip_locked and armed.exists():
        return None
    payload = payload or {}
    if timer is None:
        timer = Timer(**_subject_filter(subject), kind=kind, key=key)
    elif timer.due_at == due_at and timer.payload == payload:
        return timer  # unchanged: keep the token, so the ETA task already queued stays valid
    timer.due_at = due_at
    timer.token = uuid.uuid4()
    timer.payload = payload
    timer.save()
    if fast_path and due_at - timezone.now() <= eta_horizon():
        from .tasks import fire_timer

        pk, token = timer.pk, str(timer.token)
        # robust: a broker that is down (Redis restarting) must not turn a committed write
        # into an error page; the sweeper fires the timer from the database anyway.
        transaction.on_commit(
            lambda: fire_timer.apply_async((pk, token), eta=max(due_at, timezone.now())),
            robust=True,
        )
    return timer


def timer_cancel(
    *,
    subject: models.Model,
    kind: str | None = None,
    key: str | None = None,
    skip_locked: bool = False,
) -> int:
    """Cancel the armed timers of a subject (optionally of one kind and key).

    With `skip_locked` (inside a sweep), rows another sweeper holds are left armed: their
    handlers re-check the subject and find nothing left to do.
    """
    qs = Timer.objects.filter(**_subject_filter(subject), state=Timer.State.ARMED)
    if kind is not None:
        qs = qs.filter(kind=kind)
    if key is not None:
        qs = qs.filter(key=key)
    if skip_locked:
        qs = Timer.objects.filter(
            pk__in=list(qs.select_for_update(skip_locked=True).values_list("pk", flat=True))
        )
    return qs.update(state=Timer.State.CANCELLED)


def armed_timers(subject: models.Model):
    return Timer.objects.filter(**_subject_filter(subject), state=Timer.State.ARMED)


@transaction.atomic
def timer_retry(*, timer_id: int, actor=None, source: str = "web") -> Timer:
    """Arm a failed timer again, due now, with its attempts reset (after a fix)."""
    from itsm.audit import record_event
    from itsm.errors import Conflict

    timer = Timer.objects.select_for_update().get(pk=timer_id)
    if timer.state != Timer.State.FAILED:
        raise Conflict(_("Only a failed timer can be retried."))
    if Timer.objects.filter(
        content_type_id=timer.content_type_id,
        object_id=timer.object_id,
        kind=timer.kind,
        key=timer.key,
        state=Timer.State.ARMED,
    ).exists():
        raise Conflict(_("A newer timer of the same kind is armed for this object."))
    timer.state, timer.attempts, timer.due_at = Timer.State.ARMED, 0, timezone.now()
    timer.save(update_fields=["state", "attempts", "due_at"])
    record_event(
        timer,
        action="timer retried",
        actor=actor,
        source=source,
        before=Timer.State.FAILED,
        after=Timer.State.ARMED,
        payload={"kind": timer.kind, "last_error": timer.last_error},
    )
    return timer


def timer_probe(*, delay: timedelta, fast_path: bool = False) -> Timer:
    """Arm a probe: a timer whose only effect is to record how late it fired.

    Probes measure the whole path (beat, broker, worker, sweep) in production; the sweep
    task arms one every hour, the admin page on demand.
    """
    stat, _created = SweepStat.objects.get_or_create(name="probe", defaults={"at": timezone.now()})
    return timer_arm(
        subject=stat,
        kind=PROBE_KIND,
        key=uuid.uuid4().hex[:16],
        due_at=timezone.now() + delay,
        fast_path=fast_path,
    )


def record_probe(timer: Timer, *, now: datetime) -> None:
    """The probe handler: keep the last probe's lateness for the admin page and /metrics."""
    SweepStat.objects.filter(name="probe").update(
        at=now, max_lateness_s=timer.late_by.total_seconds(), fired=models.F("fired") + 1
    )


class TimerBusy(Exception):  # noqa: N818 - a state, not a failure
    """Raised by a handler whose subject is locked by a transaction that will handle it.

    The timer stays armed and unchanged (no attempt is counted); the next sweep retries it.
    """


class Outcome(enum.Enum):
    FIRED = "fired"
    FAILED = "failed"
    BUSY = "busy"
    SKIPPED = "skipped"


def _fire(timer: Timer, now: datetime) -> Outcome:
    """Run one claimed timer inside a savepoint: the fired mark and the handler's record
    commit together or not at all."""
    try:
        with transaction.atomic():
            late_by = max(now - timer.due_at, timedelta(0))
            # Re-check as we mark: a handler earlier in this batch may have cancelled or
            # re-armed this very timer (same transaction, so our lock did not stop it).
            marked = Timer.objects.filter(
                pk=timer.pk, state=Timer.State.ARMED, token=timer.token, due_at=timer.due_at
            ).update(state=Timer.State.FIRED, fired_at=now, late_by=late_by)
            if not marked:
                return Outcome.SKIPPED
            timer.state, timer.fired_at, timer.late_by = Timer.State.FIRED, now, late_by
            get_handler(timer.kind)(timer, now=now)
        return Outcome.FIRED
    except TimerBusy:
        timer.state, timer.fired_at, timer.late_by = Timer.State.ARMED, None, None
        return Outcome.BUSY
    except Exception as exc:  # noqa: BLE001 - one bad handler must not stop the sweep
        log.exception("timer %s (%s) failed", timer.pk, timer.kind)
        timer.attempts += 1
        timer.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if timer.attempts >= MAX_ATTEMPTS:
            timer.state = Timer.State.FAILED
        else:
            timer.state = Timer.State.ARMED
            timer.due_at = now + timedelta(seconds=30 * 2**timer.attempts)
        timer.fired_at = timer.late_by = None
        timer.save(
            update_fields=["state", "attempts", "last_error", "due_at", "fired_at", "late_by"]
        )
        return Outcome.FAILED


def timer_fire_one(*, timer_id: int, token: str) -> bool:
    """The ETA fast path: fire this timer if it is still armed, due and holds `token`."""
    now = timezone.now()
    with transaction.atomic():
        timer = (
            Timer.objects.select_for_update(skip_locked=True)
            .filter(pk=timer_id, state=Timer.State.ARMED, token=token, due_at__lte=now)
            .first()
        )
        if timer is None:
            return False  # stale token, already fired, cancelled, or a sweeper holds it
        return _fire(timer, now) is Outcome.FIRED


@dataclass
class SweepResult:
    fired: int = 0
    failed: int = 0
    busy: int = 0
    batches: int = 0
    duration_ms: float = 0.0
    claim_ms: float = 0.0
    max_lateness_s: float = 0.0


def claim_due(*, now: datetime, batch_size: int, exclude: list[int] = ()) -> list[Timer]:
    """Lock up to `batch_size` due timers, oldest first, skipping rows another sweeper holds.

    Reads the partial index (due_at, id) WHERE state = 'armed' in order and stops after
    `batch_size` rows, so it costs the same with ten or ten million timers armed.
    """
    qs = Timer.objects.select_for_update(skip_locked=True).filter(
        state=Timer.State.ARMED, due_at__lte=now
    )
    if exclude:
        qs = qs.exclude(pk__in=exclude)
    return list(qs.order_by("due_at", "pk")[:batch_size])


def sweep(*, batch_size: int | None = None, max_batches: int = 100) -> SweepResult:
    """Claim due timers in batches, oldest first, and fire each exactly once.

    Two sweepers never claim the same row: `skip_locked` hands each its own rows, and a
    timer is marked fired in the same transaction as its handler's record. A sweeper killed
    mid-batch holds an open transaction that the database rolls back: the rows are armed
    again for the next sweep.
    """
    batch_size = batch_size or settings.TIMER_SWEEP_BATCH
    result = SweepResult()
    started = time.perf_counter()
    busy: list[int] = []
    for _batch in range(max_batches):
        now = timezone.now()
        with transaction.atomic():
            claim_started = time.perf_counter()
            due = claim_due(now=now, batch_size=batch_size, exclude=busy)
            result.claim_ms += (time.perf_counter() - claim_started) * 1000
            for timer in due:
                outcome = _fire(timer, now)
                if outcome is Outcome.FIRED:
                    result.fired += 1
                    result.max_lateness_s = max(
                        result.max_lateness_s, timer.late_by.total_seconds()
                    )
                elif outcome is Outcome.BUSY:
                    result.busy += 1
                    busy.append(timer.pk)
                elif outcome is Outcome.FAILED:
                    result.failed += 1
        result.batches += 1
        if len(due) < batch_size:
            break
    result.duration_ms = (time.perf_counter() - started) * 1000
    SweepStat.objects.update_or_create(
        name="sweeper",
        defaults={
            "at": timezone.now(),
            "duration_ms": result.duration_ms,
            "claim_ms": result.claim_ms,
            "batches": result.batches,
            "fired": result.fired,
            "failed": result.failed,
            "max_lateness_s": result.max_lateness_s,
        },
    )
    return result


def prune(*, older_than: timedelta, limit: int = 10_000) -> int:
    """Delete timers fired or cancelled more than `older_than` ago (at most `limit`).

    The facts live in the subjects and their audit events; the rows only prove lateness.
    """
    cutoff = timezone.now() - older_than
    ids = list(
        Timer.objects.filter(
            models.Q(state=Timer.State.FIRED, fired_at__lt=cutoff)
            | models.Q(state=Timer.State.CANCELLED, due_at__lt=cutoff)
        ).values_list("pk", flat=True)[:limit]
    )
    return Timer.objects.filter(pk__in=ids).delete()[0] if ids else 0
