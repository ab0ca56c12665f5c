"""Generic events: trigger, acknowledge and resolve by dedup key."""

import pytest

from incidents.models import Incident, Status
from integrations.models import AlertGroup, Delivery

from .conftest import EVENTS_URL

pytestmark = pytest.mark.django_db


def send(post_alerts, token, **event):
    event.setdefault("dedup_key", "db1-disk")
    return post_alerts(token, event, url=EVENTS_URL)


def test_trigger_repeat_acknowledge_resolve_and_trigger_again(integration, post_alerts, world):
    _integration, token = integration
    trigger = {
        "action": "trigger",
        "summary": "Disk above 90 % on db1",
        "severity": "critical",
        "source": "nagios",
        "labels": {"service": "orders-db"},
        "details": {"used": "93%"},
        "links": ["https://nagios.example/db1"],
    }
    response = send(post_alerts, token, **trigger)
    assert response.status_code == 201
    incident = Incident.objects.get()
    assert incident.title == "Disk above 90 % on db1"
    assert incident.priority == "P1" and incident.service == world["database"]
    assert "nagios" in incident.description and "93%" in incident.description

    assert send(post_alerts, token, **trigger).json()["outcome"] == "duplicate"

    response = send(post_alerts, token, action="acknowledge")
    assert response.json()["outcome"] == "acknowledged"
    incident.refresh_from_db()
    assert incident.status == Status.ACKNOWLEDGED
    # Acknowledging again is harmless.
    assert send(post_alerts, token, action="acknowledge").json()["outcome"] in {
        "ignored",
        "duplicate",
    }

    response = send(post_alerts, token, action="resolve", summary="Disk cleaned")
    assert response.json()["outcome"] == "recovered"
    incident.refresh_from_db()
    assert incident.status == Status.RECOVERED

    # The same problem again later is a new incident.
    assert send(post_alerts, token, **trigger).status_code == 201
    assert Incident.objects.count() == 2
    assert AlertGroup.objects.count() == 1
    assert list(Delivery.objects.order_by("pk").values_list("status", flat=True)) == [
        "trigger",
        "trigger",
        "acknowledge",
        "acknowledge",
        "resolve",
        "trigger",
    ]


def test_acknowledge_or_resolve_without_an_incident_does_nothing(integration, post_alerts):
    _integration, token = integration
    assert send(post_alerts, token, action="acknowledge").json()["outcome"] == "ignored"
    assert send(post_alerts, token, action="resolve").json()["outcome"] == "ignored"
    assert Incident.objects.count() == 0


def test_info_severity_opens_nothing(integration, post_alerts):
    _integration, token = integration
    response = send(post_alerts, token, summary="Nightly report ready", severity="info")
    assert response.json()["outcome"] == "ignored"
    assert Incident.objects.count() == 0
