from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from . import services

# A sweep queued while no worker ran is worthless once the next one is due: let it expire
# instead of running a backlog of identical sweeps after an outage (the first catches up).
SWEEP_EXPIRES = max(settings.TIMER_SWEEP_INTERVAL * 2, 10)
PROBE_DELAY = timedelta(minutes=10)  # beyond the ETA horizon: measures the sweep path


@shared_task(name="timers.sweep", acks_late=True, ignore_result=True, expires=SWEEP_EXPIRES)
def sweep() -> int:
    fired = services.sweep().fired
    # Hourly housekeeping; the cache key only saves work, it decides nothing.
    if cache.add("timers:hourly", 1, timeout=3600):
        services.prune(older_than=timedelta(days=getattr(settings, "TIMER_RETENTION_DAYS", 90)))
        services.timer_probe(delay=PROBE_DELAY)
    return fired


@shared_task(
    name="timers.fire",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
)
def fire_timer(timer_id: int, token: str) -> bool:
    return services.timer_fire_one(timer_id=timer_id, token=token)
