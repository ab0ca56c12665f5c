"""Restore tests (drills): planned on each target's cadence, recorded with measurements."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.audit import record_event
from itsm.errors import Conflict, DomainError

from .. import alerts
from ..models import BackupRun, BackupTarget, RestoreTest
from .common import authorize, not_in_future, ordered, require_perm

FIRST_DRILL_AFTER = timedelta(days=7)


def _lock(drill_id: int) -> RestoreTest:
    return (
        RestoreTest.objects.select_for_update(of=("self",))
        .select_related("target")
        .get(pk=drill_id)
    )


def next_drill_time(target: BackupTarget, now: datetime) -> datetime | None:
    """The target's cadence counts from its last drill held, or a week after it is set up."""
    if target.drill_interval is None or not target.is_active:
        return None
    last = (
        RestoreTest.objects.filter(
            target=target, status__in=[RestoreTest.Status.PASSED, RestoreTest.Status.FAILED]
        )
        .order_by("-recorded_at")
        .values_list("recorded_at", flat=True)
        .first()
    )
    if last is None:
        return max(target.created_at + FIRST_DRILL_AFTER, now)
    return last + target.drill_interval


def ensure_drill_planned(
    *, target: BackupTarget, source: str, now: datetime | None = None
) -> RestoreTest | None:
    """Plan the next drill of a target that has a cadence and no drill planned."""
    now = now or timezone.now()
    if RestoreTest.objects.filter(target=target, status=RestoreTest.Status.PLANNED).exists():
        return None
    when = next_drill_time(target, now)
    if when is None:
        return None
    drill = RestoreTest.objects.create(target=target, planned_for=when)
    record_event(drill, action="planned", source=source, payload={"automatic": True})
    return drill


@transaction.atomic
def drill_plan(
    *,
    target_id: int,
    actor,
    source: str,
    planned_for: datetime,
    assignee=None,
    scenario: str = "",
) -> RestoreTest:
    require_perm(actor, "backups.record_restoretest")
    target = BackupTarget.objects.select_for_update().get(pk=target_id)
    if not target.is_active:
        raise DomainError(_("This target is retired."), field="target")
    drill = RestoreTest.objects.create(
        target=target, planned_for=planned_for, assignee=assignee, scenario=scenario
    )
    record_event(drill, action="planned", actor=actor, source=source)
    return drill


@transaction.atomic
def drill_record(
    *,
    drill_id: int,
    actor,
    source: str,
    started_at: datetime,
    finished_at: datetime,
    data_verified: bool,
    run_id: int | None = None,
    recovery_point: datetime | None = None,
    evidence: str = "",
    evidence_url: str = "",
) -> RestoreTest:
    """Record what the drill measured; passed only when the data came back complete, within
    the RTO and to a point within the RPO."""
    drill = _lock(drill_id)
    authorize(drill.record_pass, actor)
    now = timezone.now()
    not_in_future(finished_at, "finished_at", now)
    ordered(started_at, finished_at, "finished_at", _("The restore cannot end before it began."))
    run = None
    if run_id is not None:
        run = BackupRun.objects.filter(pk=run_id, target=drill.target).first()
        if run is None:
            raise DomainError(_("Pick a backup of this target."), field="run")
        recovery_point = recovery_point or run.recovery_point
    if recovery_point is None and drill.target.rpo is not None:
        raise DomainError(
            _("Name the backup restored or the recovery point reached."), field="recovery_point"
        )
    ordered(
        recovery_point,
        started_at,
        "recovery_point",
        _("The recovery point cannot lie after the restore began."),
    )
    if not evidence.strip() and not evidence_url:
        raise DomainError(_("Describe the evidence or link to it."), field="evidence")
    drill.run = run
    drill.evidence, drill.evidence_url = evidence.strip(), evidence_url
    measured = {
        "started_at": started_at, "finished_at": finished_at, "recovery_point": recovery_point,
        "data_verified": data_verified, "at": now, "by": actor,
    }  # fmt: skip
    before = drill.status
    target = drill.target
    within_rto = target.rto is None or finished_at - started_at <= target.rto
    within_rpo = target.rpo is None or started_at - recovery_point <= target.rpo
    passed = data_verified and within_rto and within_rpo
    (drill.record_pass if passed else drill.record_fail)(**measured)
    drill.save()
    record_event(
        drill,
        action="recorded",
        actor=actor,
        source=source,
        before=before,
        payload={
            "recovery_time_s": drill.recovery_time.total_seconds(),
            "meets_rto": drill.meets_rto,
            "meets_rpo": drill.meets_rpo,
            "data_verified": data_verified,
        },
    )
    if not passed:
        alerts.raise_alert(
            subject=drill,
            key=f"drill-failed:{drill.pk}",
            severity=alerts.WARNING,
            title=_("Restore test failed: %(target)s") % {"target": drill.target.name},
            message=_("Recovery time %(time)s against an RTO of %(rto)s.")
            % {"time": drill.recovery_time, "rto": drill.rto_target or "-"},
            source=source,
            actor=actor,
            service_id=drill.target.service_id,
        )
    ensure_drill_planned(target=drill.target, source=source, now=now)
    return drill


@transaction.atomic
def drill_cancel(*, drill_id: int, actor, source: str, reason: str) -> RestoreTest:
    drill = _lock(drill_id)
    authorize(drill.cancel, actor)
    if not (reason or "").strip():
        raise DomainError(_("Say why the restore test is cancelled."), field="reason")
    before = drill.status
    drill.cancel(reason=reason.strip())
    drill.save()
    record_event(drill, action="cancel", actor=actor, source=source, before=before, message=reason)
    return drill


@transaction.atomic
def drill_assign(*, drill_id: int, actor, source: str, assignee) -> RestoreTest:
    drill = _lock(drill_id)
    require_perm(actor, "backups.record_restoretest")
    if drill.status != RestoreTest.Status.PLANNED:
        raise Conflict(_("Only a planned restore test can be reassigned."))
    before = drill.assignee_id
    drill.assignee = assignee
    drill.save(update_fields=["assignee"])
    record_event(
        drill,
        action="assigned",
        actor=actor,
        source=source,
        before=drill.status,
        payload={"from": before, "to": assignee.pk if assignee else None},
    )
    return drill
