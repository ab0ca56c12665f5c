"""Jobs that reach operated systems through the change process."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from itsm.models import impacted_services

from .. import integration
from ..windows import choose_window
from . import FAILED, SUCCEEDED, WARNING, JobContext, JobOutcome

HORIZON = timedelta(days=90)


def pending_updates(ctx: JobContext) -> JobOutcome:
    """Analyse every open pending update and schedule it into the next suitable window."""
    from ..services.updates import updates_process

    result = updates_process(
        now=ctx.now, notice_days=ctx.param("notice_days"), horizon_days=ctx.param("horizon_days")
    )
    lines = [f"Analysed {result.analysed} open updates."]
    if not result.analysed:
        return JobOutcome(SUCCEEDED, "No pending updates to analyse.", {"analysed": 0})
    if result.unavailable:
        lines.append(f"Nothing was scheduled: {result.unavailable}")
    if result.scheduled:
        lines += [f"Scheduled {len(result.scheduled)}:"] + result.scheduled
    if result.unscheduled:
        lines += [f"Not scheduled ({len(result.unscheduled)}):"] + result.unscheduled
    details = {
        "analysed": result.analysed,
        "scheduled": len(result.scheduled),
        "unscheduled": len(result.unscheduled),
    }
    status = FAILED if result.unavailable else WARNING if result.unscheduled else SUCCEEDED
    return JobOutcome(status, "\n".join(lines), details)


def standard_change(ctx: JobContext) -> JobOutcome:
    """Create a standard change from the job's template in the next maintenance window that
    covers the job's services; the change's checklist goes to the owning team."""
    from ..models import MaintenanceJob

    job = (
        MaintenanceJob.objects.select_related("owner_team", "plan__window")
        .prefetch_related("services__owner_team")
        .get(pk=ctx.job_id)
    )
    services = list(job.services.all())
    service_ids = {s.pk for s in services}
    end = ctx.now + HORIZON
    windows = integration.maintenance_windows(start=ctx.now, end=end)
    freezes = integration.freeze_periods(start=ctx.now, end=end)
    rules = integration.class_rules("standard")
    impacted = {s.pk for s in impacted_services(services)}
    slot = choose_window(
        windows,
        freezes,
        service_ids=service_ids,
        impacted_ids=impacted,
        earliest=ctx.now,
        freeze_exempt=rules.freeze_exempt,
        window_id=job.plan.window_id,
    )
    if slot is None:
        names = ", ".join(s.name for s in services) or "every service"
        where = f"“{job.plan.window}”" if job.plan.window_id else "a maintenance window"
        return JobOutcome(
            FAILED,
            f"No occurrence of {where} covering {names} outside a freeze in the next 90 days.",
            {},
        )
    team = job.owner_team or (services[0].owner_team if services else None)
    finish = slot.end
    if ctx.param("duration_minutes"):
        finish = min(slot.end, slot.start + timedelta(minutes=ctx.param("duration_minutes")))
    with transaction.atomic():
        change = integration.create_standard_change(
            template_id=job.change_template_id,
            title=ctx.param("title") or job.name,
            description=f"Created by maintenance plan run #{ctx.run_id}.",
            services=services,
            owner_team=team,
            start=slot.start,
            end=finish,
        )
    return JobOutcome(
        SUCCEEDED,
        f"Created {change.reference} in window “{slot.name}” "
        f"{slot.start:%Y-%m-%d %H:%M}–{finish:%H:%M} UTC for {team or 'no team'}.",
        {
            "change_id": change.id,
            "change": change.reference,
            "window": slot.name,
            "start": slot.start.isoformat(),
            "end": finish.isoformat(),
        },
    )
