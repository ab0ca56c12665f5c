"""Outgoing webhooks: subscriptions, the delivery of each event with retries, and the
automatic disabling of endpoints that keep failing.

A delivery is a database row before it is a Celery task. Each attempt first claims the row
and arms a timer at the next retry time, then sends outside any transaction, then records the
response. If the worker dies mid-request the timer re-queues the delivery; if the broker loses
the task the timer does too. Receivers see the same X-ITSM-Delivery id on every attempt.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.errors import Conflict, DomainError
from itsm.timers.services import timer_arm, timer_cancel

from .. import http, signing
from .. import permissions as perms
from ..events import EventType, describe_subject, event_label
from ..models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from .base import record, require

log = logging.getLogger(__name__)
RETRY_KIND = "integrations.webhook_retry"
State = WebhookDelivery.State


def max_attempts() -> int:
    return int(getattr(settings, "INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS", 8))


def backoff(attempt: int, *, jitter: bool = True) -> timedelta:
    """Wait after failed attempt `attempt`: 30 s, 90 s, 4.5 min, … capped at one hour,
    spread by ±10 % so that many deliveries to one broken endpoint do not retry in step."""
    base = min(30 * 3 ** max(attempt - 1, 0), 3600)
    factor = random.uniform(0.9, 1.1) if jitter else 1.0  # noqa: S311 - not for security
    return timedelta(seconds=base * factor)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


# --- subscriptions --------------------------------------------------------------------------


def _validated(subscription: WebhookSubscription) -> WebhookSubscription:
    try:
        subscription.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(" ".join(messages), field=None if field == "__all__" else field) from None
    if not subscription.url.lower().startswith(("http://", "https://")):
        raise DomainError(_("Webhook URLs start with http:// or https://."), field="url")
    return subscription


def _lock(subscription_id: int) -> WebhookSubscription:
    try:
        return WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
    except WebhookSubscription.DoesNotExist:
        from django.http import Http404

        raise Http404(_("No such webhook.")) from None


@transaction.atomic
def webhook_create(
    *,
    actor,
    source: str,
    name: str,
    url: str,
    event_types: list[str],
    failure_threshold: int | None = None,
) -> tuple[WebhookSubscription, str]:
    """A subscription owned by `actor`; returns it and its signing secret."""
    require(actor, perms.ADD_WEBHOOK)
    secret = new_secret()
    subscription = WebhookSubscription(
        name=(name or "").strip(),
        url=(url or "").strip(),
        event_types=list(event_types or []),
        secret=secret,
        owner=actor,
    )
    if failure_threshold:
        subscription.failure_threshold = failure_threshold
    _validated(subscription).save()
    record(
        subscription,
        action="created",
        actor=actor,
        source=source,
        after="active",
        payload={"events": subscription.event_types},
    )
    return subscription, secret


@transaction.atomic
def webhook_update(*, subscription_id: int, actor, source: str, **changes) -> WebhookSubscription:
    require(actor, perms.MANAGE_WEBHOOK)
    allowed = {"name", "url", "event_types", "failure_threshold"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    subscription = _lock(subscription_id)
    for name, value in changes.items():
        setattr(subscription, name, value.strip() if isinstance(value, str) else value)
    _validated(subscription).save()
    record(
        subscription,
        action="edited",
        actor=actor,
        source=source,
        after=subscription.status,
        payload={"fields": sorted(changes)},
    )
    return subscription


@transaction.atomic
def webhook_rotate_secret(*, subscription_id: int, actor, source: str) -> tuple[object, str]:
    require(actor, perms.MANAGE_WEBHOOK)
    subscription = _lock(subscription_id)
    secret = new_secret()
    subscription.secret = secret
    subscription.save(update_fields=["secret"])
    record(
        subscription, action="secret rotated", actor=actor, source=source, after=subscription.status
    )
    return subscription, secret


@transaction.atomic
def webhook_disable(*, subscription_id: int, actor, source: str, reason: str = ""):
    require(actor, perms.MANAGE_WEBHOOK)
    subscription = _lock(subscription_id)
    if not subscription.is_active:
        raise Conflict(_("The webhook is already disabled."))
    before = subscription.status
    subscription.is_active = False
    subscription.disabled_at = timezone.now()
    subscription.disabled_reason = (reason or "").strip()[:300]
    subscription.disabled_by_failures = False
    subscription.save()
    record(
        subscription,
        action="disabled",
        actor=actor,
        source=source,
        before=before,
        after=subscription.status,
        message=subscription.disabled_reason,
    )
    return subscription


@transaction.atomic
def webhook_enable(*, subscription_id: int, actor, source: str):
    """Back on, with the failure count reset; deliveries skipped meanwhile stay skipped."""
    require(actor, perms.MANAGE_WEBHOOK)
    subscription = _lock(subscription_id)
    if subscription.is_active:
        raise Conflict(_("The webhook is already active."))
    before = subscription.status
    subscription.is_active = True
    subscription.consecutive_failures = 0
    subscription.disabled_at, subscription.disabled_reason = None, ""
    subscription.disabled_by_failures = False
    subscription.save()
    record(
        subscription,
        action="enabled",
        actor=actor,
        source=source,
        before=before,
        after=subscription.status,
    )
    return subscription


@transaction.atomic
def webhook_delete(*, subscription_id: int, actor, source: str) -> None:
    require(actor, perms.DELETE_WEBHOOK)
    subscription = _lock(subscription_id)
    record(
        subscription,
        action="deleted",
        actor=actor,
        source=source,
        before=subscription.status,
        after="deleted",
        message=subscription.name,
    )
    for delivery_id in subscription.deliveries.filter(
        state__in=WebhookDelivery.OPEN_STATES
    ).values_list("pk", flat=True):
        timer_cancel(subject=WebhookDelivery(pk=delivery_id), kind=RETRY_KIND)
    subscription.delete()


@transaction.atomic
def webhook_ping(*, subscription_id: int, actor, source: str) -> WebhookDelivery:
    """Send a test event now (also to a disabled webhook, to check it before enabling)."""
    require(actor, perms.MANAGE_WEBHOOK)
    subscription = _lock(subscription_id)
    delivery = WebhookDelivery(subscription=subscription, event_type=EventType.PING)
    delivery.payload = {
        "id": str(delivery.pk),
        "type": EventType.PING,
        "label": event_label(EventType.PING),
        "occurred_at": timezone.now().isoformat(),
        "webhook": {"id": subscription.pk, "name": subscription.name},
        "actor": _person(actor),
    }
    delivery.save()
    _queue(delivery.pk)
    return delivery


@transaction.atomic
def delivery_redeliver(*, delivery_id, actor, source: str) -> WebhookDelivery:
    """Try a finished delivery again (same id, attempts continue counting)."""
    require(actor, perms.MANAGE_WEBHOOK)
    delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    if delivery is None:
        raise DomainError(_("No such delivery."))
    if delivery.state in WebhookDelivery.OPEN_STATES:
        raise Conflict(_("This delivery is still being attempted."))
    delivery.state, delivery.next_attempt_at, delivery.attempts = State.PENDING, None, 0
    delivery.save(update_fields=["state", "next_attempt_at", "attempts"])
    record(
        delivery.subscription,
        action="redelivery requested",
        actor=actor,
        source=source,
        after=delivery.subscription.status,
        payload={"delivery": str(delivery.pk)},
    )
    _queue(delivery.pk)
    return delivery


# --- fan-out from audit events ---------------------------------------------------------------


def _person(user) -> dict | None:
    if user is None or not getattr(user, "pk", None):
        return None
    return {"id": user.pk, "username": user.get_username(), "name": str(user)}


def event_payload(audit_event, event_type: str, subject, delivery_id) -> dict:
    return {
        "id": str(delivery_id),
        "type": event_type,
        "label": event_label(event_type),
        "occurred_at": audit_event.at.isoformat(),
        "object": describe_subject(subject) if subject is not None else None,
        "action": audit_event.action,
        "from_state": audit_event.from_state,
        "to_state": audit_event.to_state,
        "message": audit_event.message,
        "details": audit_event.payload,
        "source": audit_event.source,
        "actor": _person(audit_event.actor) if audit_event.actor_id else None,
        "audit_event": audit_event.pk,
    }


def dispatch_webhooks(audit_event, event_type: str, subject) -> list[WebhookDelivery]:
    """One delivery per active subscription that wants this event, in the caller's transaction
    (a rolled-back fact sends nothing); queued after commit."""
    wanted = [s for s in WebhookSubscription.objects.filter(is_active=True) if s.wants(event_type)]
    if not wanted:
        return []
    rows = []
    for subscription in wanted:
        pk = uuid.uuid4()
        rows.append(
            WebhookDelivery(
                pk=pk,
                subscription=subscription,
                audit_event=audit_event,
                event_type=event_type,
                payload=event_payload(audit_event, event_type, subject, pk),
            )
        )
    WebhookDelivery.objects.bulk_create(rows)
    for row in rows:
        _queue(row.pk)
    return rows


def _queue(delivery_id) -> None:
    from ..tasks import send_webhook

    transaction.on_commit(lambda: send_webhook.delay(str(delivery_id)), robust=True)


# --- one attempt ------------------------------------------------------------------------------


def _claim(delivery_id, now):
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .filter(pk=delivery_id, state__in=[State.PENDING, State.RETRYING])
            .first()
        )
        if delivery is None:
            return None  # done, in flight elsewhere, or unknown: a duplicate task does nothing
        if delivery.next_attempt_at and delivery.next_attempt_at > now + timedelta(seconds=5):
            return None  # an early copy of the task; the timer sends it when due
        subscription = delivery.subscription
        if delivery.attempts >= max_attempts():  # a rescued delivery that used up its tries
            delivery.state, delivery.next_attempt_at = State.FAILED, None
            delivery.save(update_fields=["state", "next_attempt_at"])
            timer_cancel(subject=delivery, kind=RETRY_KIND)
            return None
        if not subscription.is_active and delivery.event_type != EventType.PING:
            delivery.state, delivery.next_attempt_at = State.SKIPPED, None
            delivery.save(update_fields=["state", "next_attempt_at"])
            timer_cancel(subject=delivery, kind=RETRY_KIND)
            return None
        delivery.attempts += 1
        delivery.state = State.SENDING
        # Armed before sending: the retry if this attempt fails, the rescue if the worker dies.
        delivery.next_attempt_at = now + backoff(delivery.attempts)
        timer_arm(
            subject=delivery, kind=RETRY_KIND, due_at=delivery.next_attempt_at, fast_path=True
        )
        delivery.save(update_fields=["attempts", "state", "next_attempt_at"])
        return delivery


def _request(delivery: WebhookDelivery) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = {
        "User-Agent": "itsm-portal-webhooks/1",
        signing.EVENT_HEADER: delivery.event_type,
        signing.DELIVERY_HEADER: str(delivery.pk),
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.sign(delivery.subscription.secret, timestamp, body),
    }
    return body, headers


def delivery_attempt(*, delivery_id) -> str | None:
    """Claim, send, record. Returns the delivery's state afterwards (None: not attempted)."""
    delivery = _claim(delivery_id, timezone.now())
    if delivery is None:
        return None
    body, headers = _request(delivery)
    result = http.post_json(delivery.subscription.url, body, headers)
    return _record_attempt(delivery.pk, result)


@transaction.atomic
def _record_attempt(delivery_id, result: http.HttpResult) -> str:
    now = timezone.now()
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("subscription")
        .get(pk=delivery_id)
    )
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.log.count() + 1,
        at=now,
        status_code=result.status_code,
        error=result.error,
        duration_ms=result.duration_ms,
        response_excerpt=result.excerpt[:500],
    )
    delivery.last_status_code, delivery.last_error = result.status_code, result.error
    subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
    if result.ok:
        delivery.state, delivery.delivered_at, delivery.next_attempt_at = State.SUCCEEDED, now, None
        timer_cancel(subject=delivery, kind=RETRY_KIND)
        subscription.consecutive_failures, subscription.last_success_at = 0, now
        subscription.save(update_fields=["consecutive_failures", "last_success_at"])
    else:
        if delivery.attempts >= max_attempts():
            delivery.state, delivery.next_attempt_at = State.FAILED, None
            timer_cancel(subject=delivery, kind=RETRY_KIND)
        else:
            delivery.state = State.RETRYING  # the timer armed at the claim sends it again
        subscription.consecutive_failures = F("consecutive_failures") + 1
        subscription.last_failure_at = now
        subscription.save(update_fields=["consecutive_failures", "last_failure_at"])
        subscription.refresh_from_db(fields=["consecutive_failures"])
        if (
            subscription.is_active
            and delivery.event_type != EventType.PING
            and subscription.consecutive_failures >= subscription.failure_threshold
        ):
            _auto_disable(subscription, delivery, now)
    delivery.save(
        update_fields=["state", "delivered_at", "next_attempt_at", "last_status_code", "last_error"]
    )
    return delivery.state


def _auto_disable(subscription: WebhookSubscription, delivery: WebhookDelivery, now) -> None:
    from .notifications import notify_webhook_disabled

    last = delivery.last_status_code or delivery.last_error or "?"
    subscription.is_active = False
    subscription.disabled_at = now
    subscription.disabled_reason = (
        _("Disabled after %(n)s failed attempts in a row (last: %(last)s).")
        % {"n": subscription.consecutive_failures, "last": last}
    )[:300]
    subscription.disabled_by_failures = True
    subscription.save(
        update_fields=["is_active", "disabled_at", "disabled_reason", "disabled_by_failures"]
    )
    record(
        subscription,
        action="disabled",
        actor=None,
        source="system",
        before="active",
        after="disabled",
        message=subscription.disabled_reason,
    )
    notify_webhook_disabled(subscription)


@transaction.atomic
def delivery_retry_due(timer, *, now) -> None:
    """The retry timer: queue the next attempt (or rescue one whose worker died)."""
    delivery = (
        WebhookDelivery.objects.select_for_update(skip_locked=True)
        .filter(pk=timer.object_id, state__in=[State.RETRYING, State.SENDING])
        .first()
    )
    if delivery is None:
        return
    if delivery.state == State.SENDING:
        log.warning("webhook delivery %s was stuck sending; retrying", delivery.pk)
    delivery.state = State.RETRYING
    delivery.next_attempt_at = now
    delivery.save(update_fields=["state", "next_attempt_at"])
    _queue(delivery.pk)
