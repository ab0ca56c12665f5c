from celery import shared_task
from django.utils import timezone

from .models import Heartbeat


@shared_task(name="itsm.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Runs on a worker when beat sends it: its timestamp proves beat, broker and worker."""
    Heartbeat.objects.update_or_create(name="beat", defaults={"at": timezone.now()})
