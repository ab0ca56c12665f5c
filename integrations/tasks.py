"""Celery tasks of the integrations app: they take ids and do the I/O after commit."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from itsm.recipients import portal_url, recipient_locale

log = logging.getLogger(__name__)


@shared_task(name="integrations.send_webhook", acks_late=True, ignore_result=True)
def send_webhook(delivery_id: str) -> str | None:
    """One attempt; failures are not task errors: the delivery row schedules its own retry
    (a timer), so a lost task or a dead worker never loses a delivery."""
    from .services.webhooks import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id)


def render_event_email(note) -> tuple[str, str, str]:
    """(subject, text, html) of one event e-mail, in the recipient's language and zone."""
    from .events import describe_subject, event_label

    event = note.audit_event
    subject_obj = event.subject
    with recipient_locale(note.recipient, note.language):
        context = {
            "label": event_label(note.event_type),
            "object": describe_subject(subject_obj) if subject_obj is not None else {},
            "event": event,
            "recipient": note.recipient,
            "preferences_url": portal_url(reverse("integrations:preferences")),
        }
        subject = render_to_string("integrations/email/event_subject.txt", context)
        text = render_to_string("integrations/email/event_body.txt", context)
        html = render_to_string("integrations/email/event_body.html", context)
    return " ".join(subject.split())[:200], text.strip(), html


@shared_task(
    name="integrations.send_event_emails",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(ConnectionError, OSError),
    retry_backoff=True,
    max_retries=5,
)
def send_event_emails(notification_ids: list[int]) -> int:
    """Send the e-mails not sent yet; a re-delivered task sends nothing twice."""
    from .models import EmailNotification

    sent = 0
    pending = EmailNotification.objects.filter(
        pk__in=notification_ids, sent_at__isnull=True
    ).select_related("recipient", "audit_event__actor", "audit_event__content_type")
    for note in pending:
        subject, text, html = render_event_email(note)
        try:
            send_mail(subject, text, None, [note.email], html_message=html, fail_silently=False)
        except (ConnectionError, OSError) as exc:
            EmailNotification.objects.filter(pk=note.pk).update(error=str(exc)[:500])
            raise
        sent += EmailNotification.objects.filter(pk=note.pk, sent_at__isnull=True).update(
            sent_at=timezone.now(), error=""
        )
    return sent


@shared_task(
    name="integrations.send_webhook_disabled_email",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(ConnectionError, OSError),
    retry_backoff=True,
    max_retries=5,
)
def send_webhook_disabled_email(subscription_id: int) -> bool:
    """Tell the owner that the portal switched their webhook off, and how to switch it on."""
    from .models import NotificationPreference, WebhookSubscription

    subscription = (
        WebhookSubscription.objects.select_related("owner").filter(pk=subscription_id).first()
    )
    if subscription is None or subscription.is_active or not subscription.owner.email:
        return False
    owner = subscription.owner
    pref = NotificationPreference.objects.filter(user=owner).first()
    with recipient_locale(owner, pref.language if pref else ""):
        context = {
            "subscription": subscription,
            "url": portal_url(subscription.get_absolute_url()),
            "recipient": owner,
        }
        subject = render_to_string("integrations/email/webhook_disabled_subject.txt", context)
        text = render_to_string("integrations/email/webhook_disabled_body.txt", context)
    send_mail(" ".join(subject.split())[:200], text.strip(), None, [owner.email])
    return True
