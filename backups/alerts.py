"""Alerts of the backup process: a run failed, a verification failed, a target is out of RPO,
a restore test failed.

`raise_alert` records the alert as an audit event on its subject inside the caller's
transaction (the fact comes first), then after commit e-mails the administrators and sends
the `alert_raised` signal. The incidents app can connect to that signal to open an incident
from the alert; `Alert.key` is stable per problem, so it can deduplicate.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from django.db import models, transaction
from django.dispatch import Signal

from itsm.audit import record_event
from itsm.models import AuditEvent

log = logging.getLogger(__name__)

ALERT_ACTION = "alert"
CRITICAL, WARNING = "critical", "warning"

# Sent after commit with `alert=Alert(...)`; receivers must not raise (send_robust is used).
alert_raised = Signal()


@dataclass(frozen=True)
class Alert:
    key: str
    severity: str
    title: str
    message: str
    subject_type: str
    subject_id: int
    url: str
    service_id: int | None
    event_id: int

    def as_dict(self) -> dict:
        return asdict(self)


def raise_alert(
    *,
    subject: models.Model,
    key: str,
    severity: str,
    title: str,
    message: str = "",
    source: str,
    actor=None,
    service_id: int | None = None,
) -> Alert | None:
    """Record an alert once per (subject, key); returns None when it was already raised."""
    already = (
        AuditEvent.objects.for_object(subject)
        .filter(action=ALERT_ACTION, payload__key=key)
        .exists()
    )
    if already:
        return None
    url = subject.get_absolute_url() if hasattr(subject, "get_absolute_url") else ""
    event = record_event(
        subject,
        action=ALERT_ACTION,
        actor=actor,
        source=source,
        before=str(getattr(subject, "status", "") or ""),
        message=f"{title}\n{message}".strip(),
        payload={"key": key, "severity": severity, "title": str(title), "url": url},
    )
    alert = Alert(
        key=key,
        severity=severity,
        title=str(title),
        message=str(message),
        subject_type=subject._meta.label_lower,
        subject_id=subject.pk,
        url=url,
        service_id=service_id,
        event_id=event.pk,
    )
    transaction.on_commit(lambda: _dispatch(alert))
    return alert


def _dispatch(alert: Alert) -> None:
    from .tasks import send_alert_email

    for receiver, result in alert_raised.send_robust(sender=Alert, alert=alert):
        if isinstance(result, Exception):
            log.error("alert receiver %r failed: %s", receiver, result)
    send_alert_email.delay(alert.as_dict())
