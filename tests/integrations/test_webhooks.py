"""Outgoing webhooks against a local receiver: fan-out from audit events, signatures,
retries with backoff through the timer sweep, the delivery log, and automatic disabling."""

import datetime as dt
import json

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from incidents import services as incident_services
from integrations import services, signing
from integrations.events import EventType
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.services import webhooks as webhook_services
from itsm.timers import services as timer_services

from .factories import SYSTEM, am_alert, am_payload
from .receiver import start_receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def subscribe(world, receiver):
    def make(events=(EventType.INCIDENT_CREATED,), **kwargs):
        return services.webhook_create(
            actor=world["users"]["ops_manager"],
            source=SYSTEM,
            name=kwargs.pop("name", "chat"),
            url=kwargs.pop("url", receiver.url),
            event_types=list(events),
            **kwargs,
        )

    return make


def report(world, title="Payments down"):
    return incident_services.incident_report(
        actor=world["users"]["oncall"],
        source=SYSTEM,
        title=title,
        service=world["payments"],
        scope="all_users",
        business_impact="revenue_loss",
        urgency="immediate",
    )


def test_an_incident_reaches_the_subscribed_webhook_signed(
    world, subscribe, receiver, django_capture_on_commit_callbacks
):
    subscription, secret = subscribe()
    with django_capture_on_commit_callbacks(execute=True):
        incident = report(world)
    [request] = receiver.requests
    headers = request.headers
    assert headers["X-ITSM-Event"] == "incident.created"
    assert signing.verify(
        secret,
        timestamp=headers["X-ITSM-Timestamp"],
        body=request.body,
        signature=headers["X-ITSM-Signature"],
    )
    assert not signing.verify(
        "whsec_other",
        timestamp=headers["X-ITSM-Timestamp"],
        body=request.body,
        signature=headers["X-ITSM-Signature"],
    )
    assert not signing.verify(
        secret,
        timestamp=headers["X-ITSM-Timestamp"],
        body=request.body + b" ",
        signature=headers["X-ITSM-Signature"],
    )
    payload = json.loads(request.body)
    assert payload["type"] == "incident.created"
    assert payload["object"]["reference"] == incident.reference
    assert payload["object"]["priority"] == "P1"
    assert payload["object"]["service"]["name"] == "Payments API"
    assert payload["actor"]["username"] == "oncall"
    assert payload["id"] == headers["X-ITSM-Delivery"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "succeeded" and delivery.last_status_code == 200
    assert list(delivery.log.values_list("status_code", flat=True)) == [200]


def test_an_old_signature_is_refused_by_the_verifier():
    body = b"{}"
    signature = signing.sign("s", 1_000_000, body)
    assert signing.verify("s", timestamp=1_000_000, body=body, signature=signature, now=1_000_100)
    assert not signing.verify(
        "s", timestamp=1_000_000, body=body, signature=signature, now=1_000_000 + 301
    )


def test_only_subscribed_active_webhooks_get_the_event(
    world, subscribe, receiver, django_capture_on_commit_callbacks
):
    acked, _secret = subscribe(events=[EventType.INCIDENT_ACKNOWLEDGED], name="ack only")
    paused, _secret = subscribe(name="paused")
    services.webhook_disable(subscription_id=paused.pk, actor=None, source=SYSTEM)
    with django_capture_on_commit_callbacks(execute=True):
        incident = report(world)
    assert WebhookDelivery.objects.count() == 0 and receiver.requests == []
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.incident_acknowledge(
            incident_id=incident.pk, actor=world["users"]["oncall"], source=SYSTEM
        )
    assert [r.headers["X-ITSM-Event"] for r in receiver.requests] == ["incident.acknowledged"]
    assert WebhookDelivery.objects.get().subscription == acked


def test_a_rolled_back_transition_sends_nothing(world, subscribe, receiver):
    subscribe()
    with pytest.raises(RuntimeError), transaction.atomic():
        report(world)
        raise RuntimeError("the caller fails after recording")
    assert WebhookDelivery.objects.count() == 0 and receiver.requests == []


def test_alert_intake_events_fan_out_too(
    world, subscribe, receiver, integration, post_alerts, django_capture_on_commit_callbacks
):
    subscribe(events=[EventType.INCIDENT_CREATED, EventType.INCIDENT_RESOLVED])
    _integration, token = integration
    alert = am_alert()
    with django_capture_on_commit_callbacks(execute=True):
        post_alerts(token, am_payload([alert]))
    with django_capture_on_commit_callbacks(execute=True):
        post_alerts(
            token, am_payload([{**alert, "status": "resolved", "endsAt": "2026-03-02T01:05:00Z"}])
        )
    events = [json.loads(r.body) for r in receiver.requests]
    assert [e["type"] for e in events] == ["incident.created", "incident.resolved"]
    assert events[0]["source"] == "intake" and events[0]["actor"] is None


def sweep_at(moment, capture):
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return timer_services.sweep()


def test_failures_are_retried_with_backoff_until_delivered(
    world, subscribe, receiver, django_capture_on_commit_callbacks
):
    subscription, _secret = subscribe()
    receiver.script = [500, 503]
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        report(world)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "retrying" and delivery.attempts == 1
    first_wait = delivery.next_attempt_at - start
    assert dt.timedelta(seconds=27) <= first_wait <= dt.timedelta(seconds=33)
    # Not yet due: the sweep leaves it alone.
    assert sweep_at(start + dt.timedelta(seconds=10), django_capture_on_commit_callbacks).fired == 0
    assert len(receiver.requests) == 1
    second = start + dt.timedelta(seconds=40)
    sweep_at(second, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == "retrying" and delivery.attempts == 2
    second_wait = delivery.next_attempt_at - second
    assert second_wait > first_wait * 2, "the pause grows"
    sweep_at(second + dt.timedelta(minutes=2), django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == "succeeded" and delivery.attempts == 3
    assert list(delivery.log.values_list("status_code", flat=True)) == [500, 503, 200]
    ids = {r.headers["X-ITSM-Delivery"] for r in receiver.requests}
    assert ids == {str(delivery.pk)}, "every retry carries the same delivery id"
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0 and subscription.is_active
    # Another sweep later sends nothing more.
    sweep_at(second + dt.timedelta(hours=2), django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 3


def test_a_connection_error_is_logged_and_retried(
    world, subscribe, django_capture_on_commit_callbacks
):
    subscribe(url="http://127.0.0.1:9/nothing-listens-here")
    with django_capture_on_commit_callbacks(execute=True):
        report(world)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "retrying"
    [attempt] = delivery.log.all()
    assert attempt.status_code is None and attempt.error


def test_a_delivery_gives_up_after_the_last_attempt(
    world, subscribe, receiver, settings, django_capture_on_commit_callbacks
):
    settings.INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS = 3
    subscribe()
    receiver.script = [500] * 10
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        report(world)
    for minutes in (5, 30, 120, 600):
        sweep_at(start + dt.timedelta(minutes=minutes), django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "failed" and delivery.attempts == 3
    assert len(receiver.requests) == 3
    # An operator can redeliver once the receiver is fixed.
    receiver.script = []
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_redeliver(delivery_id=delivery.pk, actor=None, source=SYSTEM)
    delivery.refresh_from_db()
    assert delivery.state == "succeeded"
    assert list(delivery.log.values_list("number", "status_code")) == [
        (1, 500),
        (2, 500),
        (3, 500),
        (4, 200),
    ]


def test_repeated_failures_disable_the_webhook_and_tell_its_owner(
    world, subscribe, receiver, django_capture_on_commit_callbacks
):
    owner = world["users"]["ops_manager"]
    owner.language = "ko"
    owner.save()
    subscription, _secret = subscribe(failure_threshold=3)
    receiver.script = [500] * 10
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            report(world, title=f"Outage {n}")
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert subscription.status == "disabled"
    assert "3 failed attempts" in subscription.disabled_reason
    [notice] = [m for m in mail.outbox if subscription.url in m.body]
    assert notice.to == [owner.email]
    assert subscription.name in notice.subject and subscription.url in notice.body
    # Further events are not sent; the retries of pending deliveries are skipped.
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        report(world, title="Another")
    sweep_at(start + dt.timedelta(minutes=5), django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 3
    assert WebhookDelivery.objects.filter(state="skipped").count() == 3
    # Enabling resets the count; a test event checks the receiver first.
    receiver.script = []
    services.webhook_enable(subscription_id=subscription.pk, actor=owner, source=SYSTEM)
    with django_capture_on_commit_callbacks(execute=True):
        ping = services.webhook_ping(subscription_id=subscription.pk, actor=owner, source=SYSTEM)
    ping.refresh_from_db()
    assert ping.state == "succeeded"
    assert json.loads(receiver.requests[-1].body)["type"] == "ping"


def test_a_duplicate_task_or_a_stale_claim_sends_once(
    world, subscribe, receiver, django_capture_on_commit_callbacks
):
    subscribe()
    report(world)  # callbacks not run: the task was "lost"
    delivery = WebhookDelivery.objects.get()
    assert webhook_services.delivery_attempt(delivery_id=delivery.pk) == "succeeded"
    assert webhook_services.delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == 1


def test_a_worker_that_died_mid_send_is_rescued_by_the_timer(
    world, subscribe, receiver, django_capture_on_commit_callbacks
):
    subscribe()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        report(world)
        delivery = WebhookDelivery.objects.get()
        webhook_services._claim(delivery.pk, start)  # claimed, then the worker vanished
    delivery.refresh_from_db()
    assert delivery.state == "sending"
    sweep_at(start + dt.timedelta(minutes=2), django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == "succeeded" and delivery.attempts == 2
    assert len(receiver.requests) == 1


def test_a_redirect_counts_as_a_failure(
    world, subscribe, receiver, django_capture_on_commit_callbacks
):
    subscribe()
    receiver.script = [302]
    with django_capture_on_commit_callbacks(execute=True):
        report(world)
    assert WebhookDelivery.objects.get().last_status_code == 302


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "not a url"])
def test_only_http_urls_can_subscribe(world, url):
    with pytest.raises(Exception) as exc:
        services.webhook_create(
            actor=world["users"]["ops_manager"],
            source=SYSTEM,
            name="x",
            url=url,
            event_types=["incident.created"],
        )
    assert "URL" in str(exc.value) or "url" in str(getattr(exc.value, "field", ""))
    assert WebhookSubscription.objects.count() == 0
