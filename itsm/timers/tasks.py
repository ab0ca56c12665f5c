from celery import shared_task

from . import services


@shared_task(name="timers.sweep", acks_late=True, ignore_result=True)
def sweep() -> int:
    return services.sweep().fired


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
