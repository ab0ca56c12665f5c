"""The Celery app and its beat schedule.

Beat only pokes sweepers; every deadline lives in the database (see itsm.timers), so a beat
that was down simply catches up on its next tick.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")

app = Celery("itsm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def setup_periodic_tasks(sender: Celery, **kwargs) -> None:
    from django.conf import settings

    sender.add_periodic_task(
        settings.HEARTBEAT_INTERVAL, sender.signature("itsm.heartbeat"), name="heartbeat"
    )
    sender.add_periodic_task(
        settings.TIMER_SWEEP_INTERVAL, sender.signature("timers.sweep"), name="timer sweep"
    )
