"""Celery tasks of the backups app and their beat schedule.

Tasks take ids, acknowledge late and are idempotent: a redelivered portal backup finds its
run no longer scheduled and does nothing; the schedule and retention only move rows forward.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from itsm import roles
from itsm.celery import app

from . import conf

log = logging.getLogger(__name__)


@shared_task(name="backups.tick", acks_late=True, ignore_result=True)
def tick() -> dict:
    """Schedule due runs, re-arm missing RPO timers, plan missing restore tests."""
    from .services import schedule

    return schedule.tick()


@shared_task(name="backups.enforce_retention", acks_late=True, ignore_result=True)
def enforce_retention() -> dict:
    from .services import schedule

    result = schedule.enforce_retention()
    return {"expired": len(result.expired), "purged": len(result.purged), "errors": result.errors}


@shared_task(name="backups.portal_backup", acks_late=True, ignore_result=True)
def portal_backup(run_id: int) -> str:
    from .portal.backup import portal_backup as run_backup

    return run_backup(run_id=run_id, source="timer").status


@shared_task(name="backups.portal_verify", acks_late=True, ignore_result=True)
def portal_verify(run_id: int) -> str:
    from .models import BackupRun
    from .portal.backup import portal_verify as verify

    if not BackupRun.objects.filter(pk=run_id, status=BackupRun.Status.SUCCEEDED).exists():
        return "skipped"
    return verify(run_id=run_id, source="timer").status


def administrators_emails() -> list[str]:
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.ADMINISTRATOR)
        .exclude(email="")
    )
    return sorted(set(users.values_list("email", flat=True)))


@shared_task(
    name="backups.send_alert_email",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_alert_email(alert: dict) -> int:
    """E-mail an alert to the administrators (the audit event is already recorded)."""
    recipients = administrators_emails()
    if not recipients:
        log.warning("backup alert %s: no administrator has an e-mail address", alert["key"])
        return 0
    subject = f"[{alert['severity'].upper()}] {alert['title']}"
    base = settings.PORTAL_BASE_URL
    body = f"{alert['title']}\n\n{alert['message']}\n\n{base}{alert['url']}\n"
    return send_mail(subject, body, None, recipients)


@app.on_after_finalize.connect
def register_schedule(sender, **kwargs) -> None:
    sender.add_periodic_task(conf.tick_seconds(), tick.s(), name="backups schedule")
    sender.add_periodic_task(
        conf.retention_seconds(), enforce_retention.s(), name="backups retention"
    )


# If this module is imported after the app finalized (autodiscovery runs late in some entry
# points), the signal has fired already: register at once.
if app.finalized:
    register_schedule(app)
