"""The one way to write an audit event."""

from typing import Any

from django.db import models

from .models import AuditEvent

Source = AuditEvent.Source


def record_event(
    subject: models.Model,
    *,
    action: str,
    actor=None,
    source: str = Source.SYSTEM,
    before: str = "",
    after: str | None = None,
    message: str = "",
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event for `subject`. `after` defaults to the subject's `status` field."""
    from django.contrib.contenttypes.models import ContentType

    if after is None:
        after = str(getattr(subject, "status", "") or "")
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        source=source,
        content_type=ContentType.objects.get_for_model(subject),
        object_id=str(subject.pk),
        action=action,
        from_state=before or "",
        to_state=after or "",
        message=message,
        payload=payload or {},
    )
