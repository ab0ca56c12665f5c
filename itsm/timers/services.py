"""Arm, cancel and fire timers. The sweeper and the ETA fast path both end in `fire`."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from .models import SweepStat, Timer
from .registry import get_handler

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# ETA tasks are only a fast path for near deadlines; they stay far below the broker's
# visibility timeout (Redis re-delivers unacknowledged tasks after it).
ETA_HORIZON = timedelta(seconds=getattr(settings, "TIMER_ETA_HORIZON", 300))


def _subject_filter(subject: models.Model) -> dict:
    return {
        "content_type": ContentType.objects.get_for_model(subject),
        "object_id": str(subject.pk),
    }


@transaction.atomic
def timer_arm(
    *, subject: models.Model, kind: str, due_at: datetime, key: str = "", payload=None
) -> Timer:
    """Arm (or re-target) the one armed timer of this subject, kind and key."""
    timer = (
        Timer.objects.select_for_update()
        .filter(**_subject_filter(subject), kind=kind, key=key, state=Timer.State.ARMED)
        .first()
    )
    if timer is None:
        timer = Timer(**_subject_filter(subject), kind=kind, key=key)
    timer.due_at = due_at
    timer.token = uuid.uuid4()
    timer.payload = payload or {}
    timer.save()
    if due_at - timezone.now() <= ETA_HORIZON:
        from .tasks import fire_timer

        pk, token = timer.pk, str(timer.token)
        transaction.on_commit(
            lambda: fire_timer.apply_async((pk, token), eta=max(due_at, timezone.now()))
        )
    return timer


def timer_cancel(*, subject: models.Model, kind: str | None = None, key: str | None = None) -> int:
    """Cancel the armed timers of a subject (optionally of one kind and key)."""
    qs = Timer.objects.filter(**_subject_filter(subject), state=Timer.State.ARMED)
    if kind is not None:
        qs = qs.filter(kind=kind)
    if key is not None:
        qs = qs.filter(key=key)
    return qs.update(state=Timer.State.CANCELLED)


def armed_timers(subject: models.Model):
    return Timer.objects.filter(**_subject_filter(subject), state=Timer.State.ARMED)


def _fire(timer: Timer, now: datetime) -> bool:
    """Run one claimed timer inside a savepoint. True if it fired, False if it failed."""
    try:
        with transaction.atomic():
            timer.state = Timer.State.FIRED
            timer.fired_at = now
            timer.late_by = max(now - timer.due_at, timedelta(0))
            timer.save(update_fields=["state", "fired_at", "late_by"])
            get_handler(timer.kind)(timer, now=now)
        return True
    except Exception as exc:  # noqa: BLE001 - one bad handler must not stop the sweep
        log.exception("timer %s (%s) failed", timer.pk, timer.kind)
        timer.attempts += 1
        timer.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if timer.attempts >= MAX_ATTEMPTS:
            timer.state = Timer.State.FAILED
        else:
            timer.state = Timer.State.ARMED
            timer.fired_at = timer.late_by = None
            timer.due_at = now + timedelta(seconds=30 * 2**timer.attempts)
        timer.save(
            update_fields=["state", "attempts", "last_error", "due_at", "fired_at", "late_by"]
        )
        return False


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
        return _fire(timer, now)


@dataclass
class SweepResult:
    fired: int = 0
    failed: int = 0
    batches: int = 0
    duration_ms: float = 0.0
    max_lateness_s: float = 0.0


def sweep(*, batch_size: int | None = None, max_batches: int = 100) -> SweepResult:
    """Claim due timers in batches, oldest first, and fire each exactly once.

    Two sweepers never claim the same row: `skip_locked` hands each its own rows, and a
    timer is marked fired in the same transaction as its handler's record.
    """
    batch_size = batch_size or settings.TIMER_SWEEP_BATCH
    result = SweepResult()
    started = time.perf_counter()
    for _ in range(max_batches):
        now = timezone.now()
        with transaction.atomic():
            due = list(
                Timer.objects.select_for_update(skip_locked=True)
                .filter(state=Timer.State.ARMED, due_at__lte=now)
                .order_by("due_at", "pk")[:batch_size]
            )
            for timer in due:
                if _fire(timer, now):
                    result.fired += 1
                    result.max_lateness_s = max(
                        result.max_lateness_s, timer.late_by.total_seconds()
                    )
                else:
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
            "fired": result.fired,
            "failed": result.failed,
            "max_lateness_s": result.max_lateness_s,
        },
    )
    return result
