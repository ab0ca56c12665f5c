"""Every write to a backup run: from the API, the pages, the timers and the portal's own jobs.

One function per transition; `run_report` is the agents' idempotent door, which walks a run
from wherever it is to the state the job reports, one recorded transition at a time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.audit import record_event
from itsm.errors import Conflict, DomainError
from itsm.timers.services import timer_arm, timer_cancel

from .. import alerts
from ..models import BackupRun, BackupTarget, Method
from .common import authorize, not_in_future, ordered, require_perm
from .compliance import refresh_rpo

S = BackupRun.Status
Code = BackupRun.FailureCode
TIMER_START = "backups.run_start_due"
TIMER_FINISH = "backups.run_finish_due"


def lock_run(run_id: int) -> BackupRun:
    return (
        BackupRun.objects.select_for_update(of=("self",))
        .select_related("target", "policy")
        .get(pk=run_id)
    )


# --- what follows each transition (inside the transaction; I/O deferred by the callees) ---
def _after_start(run: BackupRun, **_kw) -> None:
    timer_cancel(subject=run, kind=TIMER_START)
    if run.policy and run.policy.max_duration:
        timer_arm(subject=run, kind=TIMER_FINISH, due_at=run.started_at + run.policy.max_duration)


def _after_finish(run: BackupRun, **_kw) -> None:
    timer_cancel(subject=run, kind=TIMER_FINISH)


def _after_fail(run: BackupRun, *, actor, source) -> None:
    timer_cancel(subject=run)
    alerts.raise_alert(
        subject=run,
        key=f"run-failed:{run.pk}:{run.failure_code}",
        severity=alerts.WARNING,
        title=_("Backup failed: %(target)s") % {"target": run.target.name},
        message=f"{run.get_failure_code_display()}. {run.failure_reason}".strip(),
        source=source,
        actor=actor,
        service_id=run.target.service_id,
    )


def _after_fail_verification(run: BackupRun, *, actor, source) -> None:
    alerts.raise_alert(
        subject=run,
        key=f"verification-failed:{run.pk}",
        severity=alerts.WARNING,
        title=_("Backup verification failed: %(target)s") % {"target": run.target.name},
        message=f"{run.get_failure_code_display()}. {run.failure_reason}".strip(),
        source=source,
        actor=actor,
        service_id=run.target.service_id,
    )


def _after_retention_change(run: BackupRun, *, actor, source) -> None:
    refresh_rpo(target=run.target, actor=actor, source=source)


_AFTER = {
    "start": _after_start,
    "finish": _after_finish,
    "fail": _after_fail,
    "verify": _after_retention_change,
    "fail_verification": _after_fail_verification,
    "expire": _after_retention_change,
}


def apply(
    run: BackupRun,
    name: str,
    *,
    actor,
    source: str,
    message: str = "",
    payload: dict | None = None,
    **kwargs,
) -> BackupRun:
    """Run one transition on a locked run, save it, record it, then its follow-ups."""
    method = getattr(run, name)
    authorize(method, actor)
    before = run.status
    method(**kwargs)  # TransitionNotAllowed -> 409
    run.save()
    record_event(
        run,
        action=name,
        actor=actor,
        source=source,
        before=before,
        message=message,
        payload=payload,
    )
    hook = _AFTER.get(name)
    if hook:
        hook(run, actor=actor, source=source)
    return run


# --- one service per transition -----------------------------------------------------------
@transaction.atomic
def run_start(*, run_id: int, actor, source: str, at: datetime | None = None) -> BackupRun:
    at = at or timezone.now()
    not_in_future(at, "started_at")
    return apply(lock_run(run_id), "start", actor=actor, source=source, at=at)


def _check_finish(run: BackupRun, at, size_bytes, recovery_point) -> None:
    not_in_future(at, "finished_at")
    ordered(run.started_at, at, "finished_at", _("A backup cannot finish before it started."))
    ordered(recovery_point, at, "recovery_point", _("The recovery point lies after the finish."))
    if size_bytes is not None and size_bytes < 0:
        raise DomainError(_("The size cannot be negative."), field="size_bytes")


@transaction.atomic
def run_finish(
    *,
    run_id: int,
    actor,
    source: str,
    at: datetime | None = None,
    size_bytes: int | None = None,
    checksum: str = "",
    location: str = "",
    recovery_point: datetime | None = None,
    encrypted: bool | None = None,
    details: dict[str, Any] | None = None,
) -> BackupRun:
    run = lock_run(run_id)
    at = at or timezone.now()
    _check_finish(run, at, size_bytes, recovery_point)
    if details:
        run.details = {**run.details, **details}
    return apply(
        run,
        "finish",
        actor=actor,
        source=source,
        at=at,
        size_bytes=size_bytes,
        checksum=checksum,
        location=location,
        recovery_point=recovery_point,
        encrypted=encrypted,
    )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say what went wrong."), field="reason")
    return reason


@transaction.atomic
def run_fail(
    *, run_id: int, actor, source: str, reason: str, code: str = Code.JOB_ERROR, at=None
) -> BackupRun:
    reason = _reason(reason)
    return apply(
        lock_run(run_id),
        "fail",
        actor=actor,
        source=source,
        message=reason,
        at=at or timezone.now(),
        reason=reason,
        code=code,
    )


@transaction.atomic
def run_verify(*, run_id: int, actor, source: str, note: str = "", at=None) -> BackupRun:
    return apply(
        lock_run(run_id),
        "verify",
        actor=actor,
        source=source,
        message=note,
        at=at or timezone.now(),
        note=note,
    )


@transaction.atomic
def run_fail_verification(
    *, run_id: int, actor, source: str, reason: str, code: str = Code.RESTORE, at=None
) -> BackupRun:
    reason = _reason(reason)
    return apply(
        lock_run(run_id),
        "fail_verification",
        actor=actor,
        source=source,
        message=reason,
        at=at or timezone.now(),
        reason=reason,
        code=code,
    )


@transaction.atomic
def run_expire(*, run_id: int, actor, source: str, reason: str = "") -> BackupRun:
    run = lock_run(run_id)
    if actor is not None:  # people must say why they end a retention early
        reason = _reason(reason)
    return apply(run, "expire", actor=actor, source=source, message=reason, at=timezone.now())


@transaction.atomic
def run_purge(*, run_id: int, actor, source: str) -> BackupRun:
    return apply(lock_run(run_id), "purge", actor=actor, source=source, at=timezone.now())


# --- creating runs --------------------------------------------------------------------------
def _resolve_policy(target: BackupTarget, policy_id: int | None, method: str | None):
    policies = [p for p in target.policies.all() if p.is_active]
    if policy_id is not None:
        policy = next((p for p in target.policies.all() if p.pk == policy_id), None)
        if policy is None:
            raise DomainError(_("This policy does not belong to the target."), field="policy")
        return policy
    if method:
        matching = [p for p in policies if p.method == method]
        return matching[0] if len(matching) == 1 else None
    return policies[0] if len(policies) == 1 else None


@transaction.atomic
def run_create(
    *,
    target_id: int,
    actor,
    source: str,
    origin: str,
    policy_id: int | None = None,
    method: str | None = None,
    scheduled_for: datetime | None = None,
    external_id: str = "",
) -> BackupRun:
    """A run in `scheduled`, by hand or for the portal's own backup."""
    require_perm(actor, "backups.report_backuprun")
    target = BackupTarget.objects.select_for_update().get(pk=target_id)
    policy = _resolve_policy(target, policy_id, method)
    return _new_run(
        target=target,
        policy=policy,
        method=method,
        origin=origin,
        actor=actor,
        source=source,
        scheduled_for=scheduled_for,
        external_id=external_id,
    )


def _new_run(*, target, policy, method, origin, actor, source, scheduled_for, external_id):
    method = method or (policy.method if policy else "")
    if method not in Method.values:
        raise DomainError(_("Name the backup method or the policy."), field="method")
    run = BackupRun.objects.create(
        target=target,
        policy=policy,
        method=method,
        origin=origin,
        scheduled_for=scheduled_for,
        external_id=external_id,
        encrypted=policy.encrypted if policy else False,
    )
    record_event(run, action="created", actor=actor, source=source, payload={"origin": origin})
    if scheduled_for and policy:
        timer_arm(subject=run, kind=TIMER_START, due_at=scheduled_for + policy.start_grace)
    return run


# --- the agents' report ---------------------------------------------------------------------
REPORTABLE = (S.RUNNING, S.SUCCEEDED, S.VERIFIED, S.FAILED, S.VERIFICATION_FAILED)
_FINAL = (S.EXPIRED, S.PURGED)


def _path_to_succeeded(run: BackupRun) -> list[str] | None:
    status = run.status
    if status == S.SCHEDULED:
        return ["start", "finish"]
    if status == S.RUNNING:
        return ["finish"]
    if status == S.FAILED:
        return {Code.MISSED_START: ["start", "finish"], Code.TIMEOUT: ["finish"]}.get(
            run.failure_code
        )
    return []  # already further along


def _steps(run: BackupRun, wanted: str) -> list[str] | None:
    """Transitions from the run's state to `wanted`; [] if already there or further (a
    retried, late report); None if the report contradicts what was recorded."""
    status = run.status
    if status == wanted or status in _FINAL:
        return []
    if wanted == S.RUNNING:
        if status == S.SCHEDULED or (status == S.FAILED and run.failure_code == Code.MISSED_START):
            return ["start"]
        return None if status == S.FAILED else []
    if wanted == S.FAILED:
        return ["fail"] if status in (S.SCHEDULED, S.RUNNING) else None
    path = _path_to_succeeded(run)
    if path is None:
        return None
    if wanted == S.SUCCEEDED:
        return path
    last = {S.VERIFIED: "verify", S.VERIFICATION_FAILED: "fail_verification"}[wanted]
    if status in (S.VERIFIED, S.VERIFICATION_FAILED):
        return None  # the other verdict was recorded already
    return [*path, last]


@transaction.atomic
def run_report(
    *,
    actor,
    source: str,
    target: str,
    external_id: str,
    status: str,
    policy_id: int | None = None,
    method: str | None = None,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    recovery_point: datetime | None = None,
    size_bytes: int | None = None,
    checksum: str = "",
    location: str = "",
    encrypted: bool | None = None,
    message: str = "",
    details: dict[str, Any] | None = None,
) -> tuple[BackupRun, bool, bool]:
    """Create or advance the run `external_id` of `target` (a slug). Returns the run, whether
    it was created, and whether anything changed. Retried reports change nothing."""
    require_perm(actor, "backups.report_backuprun")
    if status not in REPORTABLE:
        raise DomainError(_("This status cannot be reported."), field="status")
    external_id = (external_id or "").strip()
    if not external_id:
        raise DomainError(_("The backup job's run id is required."), field="external_id")
    try:
        # Reports for one target queue here, so a retried report racing the first one
        # finds the run the first one created (unique_external_run is the backstop).
        locked = BackupTarget.objects.select_for_update().get(slug=target, is_active=True)
    except BackupTarget.DoesNotExist:
        raise DomainError(_("No active backup target with this slug."), field="target") from None
    now = timezone.now()
    for value, field in ((started_at, "started_at"), (finished_at, "finished_at")):
        not_in_future(value, field, now)

    run = BackupRun.objects.filter(target=locked, external_id=external_id).first()
    created = run is None
    if created:
        run = _claim_or_create(
            locked, external_id, policy_id, method, started_at or now, actor=actor, source=source
        )
    run = lock_run(run.pk)
    steps = _steps(run, status)
    if steps is None or (checksum and run.checksum and checksum != run.checksum):
        raise Conflict(
            _("The report contradicts run %(id)s, which is %(status)s.")
            % {"id": run.pk, "status": run.get_status_display()}
        )
    if details and not steps and not created:
        details = None  # a retry carries nothing new
    if details:
        run.details = {**run.details, **details}
    for step in steps:
        kwargs: dict[str, Any] = {}
        if step == "start":
            kwargs = {"at": started_at or now}
        elif step == "finish":
            at = finished_at or now
            _check_finish(run, at, size_bytes, recovery_point)
            kwargs = {
                "at": at, "size_bytes": size_bytes, "checksum": checksum,
                "location": location, "recovery_point": recovery_point, "encrypted": encrypted,
            }  # fmt: skip
        elif step == "verify":
            kwargs = {"at": now, "note": message}
        elif step in ("fail", "fail_verification"):
            kwargs = {"at": finished_at or now, "reason": message or _("Reported by the job.")}
            if step == "fail_verification":
                kwargs["code"] = Code.CHECKSUM if "checksum" in message.lower() else Code.RESTORE
        apply(run, step, actor=actor, source=source, message=message, **kwargs)
    return run, created, bool(steps) or created


def _claim_or_create(
    target, external_id, policy_id, method, reference, *, actor, source
) -> BackupRun:
    """Fill the portal's scheduled slot for this policy if one is open, else a new run."""
    policy = _resolve_policy(target, policy_id, method)
    if policy is not None:
        slot = (
            BackupRun.objects.select_for_update()
            .filter(
                policy=policy,
                origin=BackupRun.Origin.SCHEDULE,
                status=S.SCHEDULED,
                external_id="",
                scheduled_for__lte=reference + policy.start_grace,
            )
            .order_by("scheduled_for", "pk")
            .first()
        )
        if slot is not None:
            slot.external_id = external_id
            slot.save(update_fields=["external_id"])
            return slot
    return _new_run(
        target=target,
        policy=policy,
        method=method,
        origin=BackupRun.Origin.AGENT,
        actor=actor,
        source=source,
        scheduled_for=None,
        external_id=external_id,
    )
