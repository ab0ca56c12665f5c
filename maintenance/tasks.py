"""Celery tasks of scheduled maintenance. Thin: ids in, one service call."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import beat_init, worker_ready

log = logging.getLogger(__name__)


@shared_task(name="maintenance.execute_run", acks_late=True, ignore_result=True)
def execute_run(run_id: int) -> str | None:
    """Run a plan's jobs. A duplicate delivery finds the run taken and does nothing."""
    from .services import run_execute

    run = run_execute(run_id=run_id)
    return run.status if run else None


@shared_task(
    name="maintenance.notify_run_failed",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def notify_run_failed(run_id: int) -> int:
    from .notifications import send_run_failed

    return send_run_failed(run_id)


@shared_task(
    name="maintenance.notify_update_scheduled",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def notify_update_scheduled(update_id: int) -> int:
    from .notifications import send_update_scheduled

    return send_update_scheduled(update_id)


@shared_task(name="maintenance.ensure_armed", acks_late=True, ignore_result=True)
def ensure_armed() -> int:
    from .services import plans_ensure_armed

    return plans_ensure_armed()


@beat_init.connect(dispatch_uid="maintenance-ensure-armed-beat")
@worker_ready.connect(dispatch_uid="maintenance-ensure-armed-worker")
def _arm_plans_when_beat_starts(sender=None, **kwargs) -> None:
    """Every active plan gets its timer when beat starts (fresh install, parked timer);
    a run missed while the portal was down then fires once on the first sweep."""
    try:
        ensure_armed.delay()
    except Exception:  # noqa: BLE001 - beat must start even if the broker is not up yet
        log.exception("could not queue maintenance.ensure_armed")
