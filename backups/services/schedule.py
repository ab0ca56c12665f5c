"""What beat drives: the backup schedule, retention, and self-healing of timers and drills.

Each step is idempotent, so a beat tick that runs twice (or two workers at once) changes
nothing the second time: slots are unique per policy, policies are claimed with
skip_locked, and retention only moves runs forward in their state machine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, Window
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from itsm.timers.models import Timer

from ..models import BackupPolicy, BackupRun, BackupTarget, RestoreTest
from .compliance import TIMER_RPO, refresh_rpo
from .drills import ensure_drill_planned
from .runs import _new_run, run_expire, run_purge

log = logging.getLogger(__name__)
S = BackupRun.Status
# Failed runs hold no usable data; without a days rule they are kept this long for the record.
FAILED_RUNS_KEPT = timedelta(days=30)


def _slot(policy: BackupPolicy, now: datetime) -> datetime:
    """The latest slot that is due: after an outage one run is scheduled, not a backlog."""
    slot = policy.next_run_at or now
    if slot <= now:
        slot += ((now - slot) // policy.interval) * policy.interval
    return slot


def schedule_due_runs(*, now: datetime | None = None, batch: int = 200) -> list[int]:
    """Create the scheduled run of every policy whose slot has come. Returns the run ids."""
    now = now or timezone.now()
    created: list[int] = []
    with transaction.atomic():
        policies = list(
            BackupPolicy.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("target")
            .filter(is_active=True, target__is_active=True, interval__isnull=False)
            .filter(Q(next_run_at__lte=now) | Q(next_run_at__isnull=True))
            .order_by(F("next_run_at").asc(nulls_first=True), "pk")[:batch]
        )
        for policy in policies:
            slot = _slot(policy, now)
            policy.next_run_at = slot + policy.interval
            policy.save(update_fields=["next_run_at"])
            if BackupRun.objects.filter(
                policy=policy, origin=BackupRun.Origin.SCHEDULE, scheduled_for=slot
            ).exists():
                continue
            run = _new_run(
                target=policy.target,
                policy=policy,
                method=policy.method,
                origin=BackupRun.Origin.SCHEDULE,
                actor=None,
                source="timer",
                scheduled_for=slot,
                external_id="",
            )
            created.append(run.pk)
            if policy.target.is_portal:
                from ..tasks import portal_backup

                transaction.on_commit(lambda pk=run.pk: portal_backup.delay(pk))
    return created


def ensure_rpo_timers(*, now: datetime | None = None) -> int:
    """Arm the RPO timer of any target that should have one and has none."""
    armed = Timer.objects.filter(
        content_type=ContentType.objects.get_for_model(BackupTarget),
        object_id=Cast(OuterRef("pk"), CharField()),
        kind=TIMER_RPO,
        state=Timer.State.ARMED,
    )
    missing = BackupTarget.objects.filter(
        is_active=True, rpo__isnull=False, rpo_breached_at__isnull=True
    ).exclude(Exists(armed))
    count = 0
    for target in missing:
        with transaction.atomic():
            refresh_rpo(target=target, actor=None, source="timer", now=now)
        count += 1
    return count


def ensure_drills(*, now: datetime | None = None) -> int:
    planned = RestoreTest.objects.filter(target=OuterRef("pk"), status=RestoreTest.Status.PLANNED)
    targets = BackupTarget.objects.filter(is_active=True, drill_interval__isnull=False).exclude(
        Exists(planned)
    )
    count = 0
    for target in targets:
        with transaction.atomic():
            count += ensure_drill_planned(target=target, source="timer", now=now) is not None
    return count


@dataclass
class RetentionResult:
    expired: list[int] = field(default_factory=list)
    purged: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def runs_past_retention(now: datetime) -> list[int]:
    """Runs whose policy no longer keeps them. A run is kept while either of its policy's
    rules (generations, days) keeps it, and the newest verified backup of a target is never
    expired: if backups stop, retention must not delete the last good copy."""
    good = (
        BackupRun.objects.filter(policy__isnull=False, status__in=BackupRun.GOOD)
        .annotate(
            generation=Window(
                RowNumber(),
                partition_by=[F("policy_id")],
                order_by=[F("recovery_point").desc(nulls_last=True), F("pk").desc()],
            )
        )
        .values_list(
            "pk",
            "target_id",
            "status",
            "recovery_point",
            "generation",
            "policy__retention_generations",
            "policy__retention_days",
        )
    )
    newest_verified: dict[int, tuple] = {}
    candidates: list[int] = []
    for pk, target_id, status, point, generation, keep_n, keep_days in good:
        if status == S.VERIFIED and point is not None:
            best = newest_verified.get(target_id)
            if best is None or (point, pk) > best:
                newest_verified[target_id] = (point, pk)
        kept = (keep_n is not None and generation <= keep_n) or (
            keep_days is not None and point is not None and point >= now - timedelta(keep_days)
        )
        if not kept:
            candidates.append(pk)
    protected = {pk for _point, pk in newest_verified.values()}
    expired = [pk for pk in candidates if pk not in protected]

    failed = BackupRun.objects.filter(
        status__in=[S.FAILED, S.VERIFICATION_FAILED], created_at__lt=now - timedelta(days=1)
    ).values_list("pk", "created_at", "policy__retention_days")
    for pk, created_at, keep_days in failed:
        kept_for = timedelta(days=keep_days) if keep_days else FAILED_RUNS_KEPT
        if created_at < now - kept_for:
            expired.append(pk)
    return sorted(expired)


def enforce_retention(*, now: datetime | None = None) -> RetentionResult:
    """Expire what retention no longer keeps; purge the portal's own expired files."""
    from ..portal import storage

    now = now or timezone.now()
    result = RetentionResult()
    for pk in runs_past_retention(now):
        try:
            run_expire(run_id=pk, actor=None, source="timer")
            result.expired.append(pk)
        except Exception as exc:  # noqa: BLE001 - one bad run must not stop retention
            log.exception("could not expire backup run %s", pk)
            result.errors.append(f"{pk}: {exc}")
    portal_expired = BackupRun.objects.filter(status=S.EXPIRED, target__is_portal=True)
    for run in portal_expired:
        try:
            storage.delete_artefacts(run)
            run_purge(run_id=run.pk, actor=None, source="timer")
            result.purged.append(run.pk)
        except Exception as exc:  # noqa: BLE001
            log.exception("could not purge backup run %s", run.pk)
            result.errors.append(f"{run.pk}: {exc}")
    return result


def tick(*, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    return {
        "scheduled": len(schedule_due_runs(now=now)),
        "rpo_timers": ensure_rpo_timers(now=now),
        "drills": ensure_drills(now=now),
    }
