"""Celery tasks of the incidents app: they take ids and do the I/O after commit."""

import logging

from celery import shared_task
from django.core.mail import send_mail
from django.utils import timezone

from itsm.recipients import portal_url

log = logging.getLogger(__name__)


@shared_task(
    name="incidents.send_notification_emails",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(ConnectionError, OSError),
    retry_backoff=True,
    max_retries=5,
)
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail logged notifications that have not gone out yet; a re-delivery sends nothing twice."""
    from .models import Notification

    sent = 0
    pending = Notification.objects.filter(
        pk__in=notification_ids, emailed_at__isnull=True
    ).select_related("incident")
    for note in pending:
        # Links are absolute when the deployment says where the portal lives.
        link = portal_url(note.incident.get_absolute_url())
        body = f"{note.body}\n\n{link}"
        try:
            send_mail(note.subject, body.strip(), None, [note.email], fail_silently=False)
        except (ConnectionError, OSError) as exc:
            Notification.objects.filter(pk=note.pk).update(email_error=str(exc)[:500])
            raise
        # Claim by condition so that two workers never both count it as sent.
        sent += Notification.objects.filter(pk=note.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now(), email_error=""
        )
    return sent
