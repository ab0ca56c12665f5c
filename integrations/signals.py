"""Every audit event that maps to a public event type reaches webhooks and e-mail.

The receiver runs inside the transaction that records the fact, so a rolled-back transition
sends nothing, and in a savepoint, so a fault here can never undo the workflow's own write.
"""

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from itsm.models import AuditEvent

from .events import event_type_for

log = logging.getLogger(__name__)


@receiver(post_save, sender=AuditEvent, dispatch_uid="integrations-audit-event")
def audit_event_recorded(sender, instance: AuditEvent, created: bool, raw=False, **kwargs):
    if raw or not created:
        return
    event_type = event_type_for(instance)
    if event_type is None:
        return
    from .services.notifications import dispatch_emails
    from .services.webhooks import dispatch_webhooks

    try:
        with transaction.atomic():
            subject = instance.subject
            dispatch_webhooks(instance, event_type, subject)
            dispatch_emails(instance, event_type, subject)
    except Exception:
        log.exception("could not fan out audit event %s (%s)", instance.pk, event_type)
