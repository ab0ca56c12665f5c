"""Executing a run: claim it once, run each job outside any transaction, record the result.

A job runs in autocommit (VACUUM refuses a transaction) and each job's outcome is saved as
soon as it is known, so a worker that dies mid-run leaves what it did on record; the run's
deadline timer then marks the run failed and tells the administrators.
"""

from __future__ import annotations

import logging
import traceback
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from itsm.audit import Source, record_event
from itsm.errors import DomainError
from itsm.timers.models import Timer
from itsm.timers.services import timer_arm, timer_cancel

from .. import integration
from ..jobs import FAILED, JobContext, perform
from ..models import JobRun, JobRunStatus, MaintenanceRun, RunStatus
from ._base import RUN_DEADLINE_TIMER

log = logging.getLogger(__name__)
MAX_OUTPUT = 100_000


@transaction.atomic
def run_start(*, run_id: int) -> MaintenanceRun | None:
    """Claim a queued run; None when another delivery of the task already took it."""
    run = MaintenanceRun.objects.select_for_update().select_related("plan").get(pk=run_id)
    if run.status != RunStatus.QUEUED:
        return None
    now = timezone.now()
    run.start(at=now)
    run.save()
    jobs = run.plan.jobs.filter(is_active=True).order_by("position", "pk")
    JobRun.objects.bulk_create(
        JobRun(run=run, job=job, name=job.name, kind=job.kind, position=job.position)
        for job in jobs
    )
    timer_arm(subject=run, kind=RUN_DEADLINE_TIMER, due_at=now + run.plan.max_duration)
    record_event(run, action="run started", source=Source.SYSTEM, before=RunStatus.QUEUED)
    return run


def _job_context(job_run: JobRun, now) -> JobContext:
    job = job_run.job
    return JobContext(
        job_id=job.pk if job else None,
        kind=job_run.kind,
        name=job_run.name,
        parameters=dict(job.parameters) if job else {},
        now=now,
        run_id=job_run.run_id,
        plan_id=job.plan_id if job else None,
    )


def job_execute(*, job_run_id: int) -> JobRun:
    """Run one job and save its outcome. Never raises for the job's own errors."""
    job_run = JobRun.objects.select_related("job", "run").get(pk=job_run_id)
    started = timezone.now()
    JobRun.objects.filter(pk=job_run.pk).update(status=JobRunStatus.RUNNING, started_at=started)
    try:
        outcome = perform(_job_context(job_run, started))
        status, output, details = outcome.status, outcome.output, outcome.details
    except DomainError as exc:
        status, output, details = FAILED, str(exc.message), {"error": exc.code}
    except Exception as exc:  # noqa: BLE001 - a broken job must not stop the others
        log.exception("maintenance job %s failed", job_run.pk)
        status, output = FAILED, f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}"
        details = {"error": type(exc).__name__}
    finished = timezone.now()
    JobRun.objects.filter(pk=job_run.pk, status=JobRunStatus.RUNNING).update(
        status=status,
        output=output[:MAX_OUTPUT],
        details=details,
        finished_at=finished,
        duration=finished - started,
    )
    job_run.refresh_from_db()
    return job_run


def run_execute(*, run_id: int) -> MaintenanceRun | None:
    """The task's body: claim the run, run its jobs in order, finish it."""
    run = run_start(run_id=run_id)
    if run is None:
        return None
    for job_run_id in run.job_runs.order_by("position", "pk").values_list("pk", flat=True):
        if MaintenanceRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).exists():
            job_execute(job_run_id=job_run_id)
    return run_finish(run_id=run_id)


def _summary(job_runs: list[JobRun]) -> tuple[str, str]:
    total = len(job_runs)
    failed = [j for j in job_runs if j.status == JobRunStatus.FAILED]
    warned = [j for j in job_runs if j.status == JobRunStatus.WARNING]
    if failed:
        text = ngettext(
            "%(n)s of %(total)s job failed: %(names)s.",
            "%(n)s of %(total)s jobs failed: %(names)s.",
            total,
        )
        return "fail", text % {
            "n": len(failed),
            "total": total,
            "names": ", ".join(j.name for j in failed),
        }
    if warned:
        text = ngettext(
            "The job ran; look at: %(names)s.", "All %(total)s jobs ran; look at: %(names)s.", total
        )
        return "warn", text % {"total": total, "names": ", ".join(j.name for j in warned)}
    if not job_runs:
        return "succeed", _("The plan had no active jobs.")
    text = ngettext("The job succeeded.", "All %(total)s jobs succeeded.", total)
    return "succeed", text % {"total": total}


@transaction.atomic
def run_finish(*, run_id: int) -> MaintenanceRun:
    run = MaintenanceRun.objects.select_for_update().select_related("plan").get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        return run  # abandoned by its deadline meanwhile
    job_runs = list(run.job_runs.all())
    verb, summary = _summary(job_runs)
    getattr(run, verb)(at=timezone.now(), summary=summary)
    if run.status == RunStatus.FAILED:
        _after_failure(run)
    run.save()
    timer_cancel(subject=run, kind=RUN_DEADLINE_TIMER)
    record_event(run, action="run finished", source=Source.SYSTEM, before=RunStatus.RUNNING,
                 message=summary)  # fmt: skip
    return run


def _after_failure(run: MaintenanceRun) -> None:
    """Open an incident when the plan says so; notify the administrators after commit."""
    from ..tasks import notify_run_failed

    plan = run.plan
    if plan.open_incident_on_failure and not run.incident_reference:
        try:
            with transaction.atomic():
                run.incident_reference = integration.open_incident(
                    title=_("Maintenance plan “%(plan)s” failed") % {"plan": plan.name},
                    description=run.summary,
                    service=plan.incident_service,
                )
        except DomainError as exc:
            run.summary += "\n" + str(exc.message)
    transaction.on_commit(partial(notify_run_failed.delay, run.pk))


def run_abandon(timer: Timer, *, now) -> MaintenanceRun | None:
    """The run's deadline passed: still running means a worker died or a job hung."""
    run = (
        MaintenanceRun.objects.select_for_update()
        .select_related("plan")
        .filter(pk=timer.object_id)
        .first()
    )
    if run is None or run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        return None
    before = run.status
    unfinished = run.job_runs.filter(status__in=[JobRunStatus.PENDING, JobRunStatus.RUNNING])
    unfinished.update(
        status=JobRunStatus.FAILED,
        finished_at=now,
        output=_("Did not finish within the plan's longest expected run."),
    )
    run.abandon(
        at=now,
        summary=_("The run did not finish within %(limit)s; it was marked failed.")
        % {"limit": run.plan.max_duration},
    )
    _after_failure(run)
    run.save()
    record_event(run, action="run abandoned", source=Source.TIMER, before=before)
    return run
