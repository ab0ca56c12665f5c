"""Plans and their jobs: the only writers. Every change re-arms the plan's timer at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.audit import Source, record_event
from itsm.errors import Conflict, DomainError
from itsm.timers.services import armed_timers, timer_arm, timer_cancel

from ..models import MaintenanceJob, MaintenancePlan, MaintenanceRun, RunStatus, RunTrigger
from ..schedule import next_occurrence
from ._base import PLAN_TIMER, require, validated

PLAN_FIELDS = {
    "name",
    "description",
    "schedule",
    "time_zone",
    "is_active",
    "open_incident_on_failure",
    "incident_service",
    "max_duration",
    "window",
}
JOB_FIELDS = {"name", "kind", "position", "is_active", "parameters", "owner_team"}
JOB_FIELDS |= {"change_template"}
# A timer fired later than this after its due time was missed (the portal was down).
CATCH_UP_AFTER = timedelta(minutes=10)


def plan_arm(plan: MaintenancePlan, *, now: datetime) -> None:
    """Arm the plan's timer at its next occurrence after now, or cancel it for an inactive
    plan. Saves next_run_at (and last_run_at); the caller holds the plan's lock."""
    if not plan.is_active:
        timer_cancel(subject=plan, kind=PLAN_TIMER)
        plan.next_run_at = None
    else:
        due = next_occurrence(plan.schedule, plan.time_zone, after=now)
        timer_arm(
            subject=plan,
            kind=PLAN_TIMER,
            due_at=due,
            payload={"schedule": plan.schedule, "time_zone": plan.time_zone},
        )
        plan.next_run_at = due
    plan.save(update_fields=["next_run_at", "last_run_at", "updated_at"])


def _apply(instance, fields: dict, allowed: set[str]) -> dict:
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    before = {}
    for name, value in fields.items():
        before[name] = str(getattr(instance, name))
        setattr(instance, name, value)
    return before


@transaction.atomic
def plan_create(*, actor, source: str, **fields) -> MaintenancePlan:
    require(actor, "maintenance.add_maintenanceplan")
    plan = MaintenancePlan()
    _apply(plan, fields, PLAN_FIELDS)
    validated(plan, exclude=["next_run_at", "last_run_at"])
    plan.save()
    plan_arm(plan, now=timezone.now())
    record_event(plan, action="plan created", actor=actor, source=source, after="")
    return plan


@transaction.atomic
def plan_update(*, plan_id: int, actor, source: str, **fields) -> MaintenancePlan:
    """Edit a plan; a new schedule, zone or activity takes effect without a restart."""
    require(actor, "maintenance.change_maintenanceplan")
    plan = MaintenancePlan.objects.select_for_update().get(pk=plan_id)
    before = _apply(plan, fields, PLAN_FIELDS)
    validated(plan)
    plan.save()
    plan_arm(plan, now=timezone.now())
    changed = {k: v for k, v in before.items() if v != str(getattr(plan, k))}
    record_event(plan, action="plan updated", actor=actor, source=source, after="", payload=changed)
    return plan


def plan_set_active(*, plan_id: int, actor, source: str, active: bool) -> MaintenancePlan:
    return plan_update(plan_id=plan_id, actor=actor, source=source, is_active=active)


@transaction.atomic
def plan_delete(*, plan_id: int, actor, source: str) -> None:
    """Only a plan that never ran: runs are history. Deactivate the others."""
    require(actor, "maintenance.delete_maintenanceplan")
    plan = MaintenancePlan.objects.select_for_update().get(pk=plan_id)
    if plan.runs.exists():
        raise Conflict(_("This plan has runs on record; deactivate it instead of deleting it."))
    timer_cancel(subject=plan)
    record_event(plan, action="plan deleted", actor=actor, source=source, after="")
    plan.delete()


@transaction.atomic
def plan_run_now(*, plan_id: int, actor, source: str) -> MaintenanceRun:
    """Queue a run on demand; refused while another run of the plan is queued or running."""
    require(actor, "maintenance.run_maintenanceplan")
    plan = MaintenancePlan.objects.select_for_update().get(pk=plan_id)
    if plan.runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists():
        raise Conflict(_("A run of this plan is already queued or running."))
    if not plan.jobs.filter(is_active=True).exists():
        raise DomainError(_("This plan has no active jobs to run."))
    now = timezone.now()
    run = MaintenanceRun.objects.create(
        plan=plan, trigger=RunTrigger.MANUAL, scheduled_for=now, requested_by=actor
    )
    record_event(plan, action="run requested", actor=actor, source=source, after="",
                 payload={"run": run.pk})  # fmt: skip
    _queue(run)
    return run


def _queue(run: MaintenanceRun) -> None:
    from ..tasks import execute_run

    transaction.on_commit(partial(execute_run.delay, run.pk))


def plan_fire(*, plan_id: int, due_at: datetime, now: datetime) -> MaintenanceRun | None:
    """The plan's timer fired: record the run for this occurrence, re-arm the next one,
    and queue the jobs after commit. Runs inside the sweep's transaction.

    Idempotent: a second call for the same occurrence finds the run and does nothing more.
    A timer fired long after its due time (the portal was down) records one catch-up run,
    and the next occurrence is computed after now, so missed occurrences are not repeated.
    """
    plan = MaintenancePlan.objects.select_for_update().filter(pk=plan_id).first()
    if plan is None or not plan.is_active:
        return None
    late = now - due_at
    trigger = RunTrigger.CATCH_UP if late > CATCH_UP_AFTER else RunTrigger.SCHEDULE
    if (
        MaintenanceRun.objects.filter(plan=plan, scheduled_for=due_at)
        .exclude(trigger=RunTrigger.MANUAL)
        .exists()
    ):
        return None
    try:
        with transaction.atomic():
            run = MaintenanceRun.objects.create(plan=plan, trigger=trigger, scheduled_for=due_at)
    except IntegrityError:
        return None  # a concurrent delivery recorded this occurrence first
    plan.last_run_at = now
    plan_arm(plan, now=now)  # the next occurrence after now: missed ones are not repeated
    record_event(
        plan,
        action="run caught up" if trigger == RunTrigger.CATCH_UP else "run due",
        source=Source.TIMER,
        after="",
        payload={"run": run.pk, "due": due_at.isoformat(), "late_s": late.total_seconds()},
    )
    _queue(run)
    return run


def plans_ensure_armed(*, now: datetime | None = None) -> int:
    """Arm every active plan that has no armed timer (a fresh database, a timer that was
    parked as failed). A plan whose recorded next run has passed is armed at that time, so
    the sweeper catches it up once. Called when beat starts and by seed_demo."""
    now = now or timezone.now()
    armed = 0
    for plan_id in MaintenancePlan.objects.filter(is_active=True).values_list("pk", flat=True):
        with transaction.atomic():
            plan = MaintenancePlan.objects.select_for_update().get(pk=plan_id)
            if armed_timers(plan).filter(kind=PLAN_TIMER).exists():
                continue
            if plan.next_run_at and plan.next_run_at <= now:
                timer_arm(subject=plan, kind=PLAN_TIMER, due_at=plan.next_run_at)
            else:
                plan_arm(plan, now=now)
            armed += 1
    return armed


# --- jobs -------------------------------------------------------------------------------


def _job_services(job: MaintenanceJob, services) -> None:
    if services is not None:
        job.services.set(services)


@transaction.atomic
def job_add(*, plan_id: int, actor, source: str, services=None, **fields) -> MaintenanceJob:
    require(actor, "maintenance.change_maintenanceplan")
    plan = MaintenancePlan.objects.select_for_update().get(pk=plan_id)
    job = MaintenanceJob(plan=plan)
    if "position" not in fields:
        last = plan.jobs.order_by("-position").values_list("position", flat=True).first()
        fields["position"] = (last or 0) + 10
    _apply(job, fields, JOB_FIELDS)
    validated(job, exclude=["plan"])
    job.save()
    _job_services(job, services)
    record_event(plan, action="job added", actor=actor, source=source, after="",
                 payload={"job": job.pk, "name": job.name, "kind": job.kind})  # fmt: skip
    return job


@transaction.atomic
def job_update(*, job_id: int, actor, source: str, services=None, **fields) -> MaintenanceJob:
    require(actor, "maintenance.change_maintenanceplan")
    job = MaintenanceJob.objects.select_for_update().select_related("plan").get(pk=job_id)
    before = _apply(job, fields, JOB_FIELDS)
    validated(job, exclude=["plan"])
    job.save()
    _job_services(job, services)
    record_event(job.plan, action="job updated", actor=actor, source=source, after="",
                 payload={"job": job.pk, "before": before})  # fmt: skip
    return job


@transaction.atomic
def job_delete(*, job_id: int, actor, source: str) -> None:
    require(actor, "maintenance.change_maintenanceplan")
    job = MaintenanceJob.objects.select_for_update().select_related("plan").get(pk=job_id)
    record_event(job.plan, action="job removed", actor=actor, source=source, after="",
                 payload={"job": job.pk, "name": job.name})  # fmt: skip
    job.delete()
