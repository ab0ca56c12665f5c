"""Celery tasks of the changes app: e-mail notifications, queued after commit by services."""

from celery import shared_task

from . import notifications


@shared_task(
    name="changes.notify",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def notify_change(change_id: int, event: str, actor_id: int | None = None) -> int:
    """Takes ids, never instances: the change is read fresh when the task runs."""
    return notifications.send(change_id, event, actor_id)
