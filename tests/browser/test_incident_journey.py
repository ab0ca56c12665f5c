"""Journey (b): an Alertmanager alert opens a P1; the on-call engineer acknowledges it from
the queue, recovers and verifies it, writes the postmortem; the ops manager publishes the
postmortem and closes the incident."""

import json
import re
import urllib.request

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Incident
from tests.integrations.factories import am_alert, am_payload, make_integration, make_world

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
JOURNEY = "incident-from-alert"
INTAKE = "/api/v1/intake/alertmanager/"


def post_alert(base_url: str, token: str, payload: dict) -> dict:
    """POST the webhook over HTTP the way Alertmanager does: JSON and a bearer credential."""
    request = urllib.request.Request(
        base_url + INTAKE,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our server)
        assert response.status == 201
        return json.loads(response.read())


def test_an_alert_becomes_a_p1_that_is_worked_to_a_published_postmortem(journey, live_server):
    world = make_world()
    _integration, token = make_integration(world, name="Prometheus prod")
    alert = am_alert("PaymentsDown", starts_at=timezone.now(), summary="Payments API is down")
    body = post_alert(live_server.url, token, am_payload([alert]))
    assert body["outcome"] == "created"
    incident = Incident.objects.get(pk=body["incident"]["id"])
    assert incident.priority == "P1"
    page = journey.page

    # The on-call engineer acknowledges it from the queue (htmx swaps the rows in place).
    journey.login(world["users"]["oncall"])
    page.goto("/incidents/queue/")
    row = page.locator("#queue tr", has_text=incident.reference)
    expect(row).to_contain_text("Payments API is down")
    expect(row.locator(".badge.prio-P1")).to_have_text("P1")
    expect(row).to_contain_text("Detected")
    journey.shot("queue with the new p1")
    row.get_by_role("button", name="Acknowledge").click()
    expect(row).to_contain_text("Acknowledged")
    expect(row.get_by_role("button", name="Acknowledge")).to_have_count(0)
    journey.shot("acknowledged in the queue")

    row.get_by_role("link", name=incident.reference).click()
    expect(page.locator("h1")).to_contain_text(incident.reference)
    # The timeline names states by their labels, not their codes.
    expect(page.locator("#live")).to_contain_text("Detected → Acknowledged")
    page.locator("#actions").get_by_role("button", name="Recovered…").click()
    page.locator("#form-recover textarea").fill("Restarted the payments pods; errors stopped.")
    page.locator("#form-recover").get_by_role("button", name="Recovered").click()
    expect(page.locator(".alert-success")).to_contain_text("Recovered.")
    journey.shot("recovered")
    page.locator("#actions").get_by_role("button", name="Verify").click()
    expect(page.locator(".alert-success")).to_contain_text("Verified.")
    expect(page.locator(".alert-warning")).to_contain_text("only after its postmortem is published")
    journey.shot("verified, postmortem required")

    # A P1 needs a postmortem: its draft was opened with the incident.
    page.get_by_role("link", name="Open the postmortem").click()
    expect(page.locator("h1")).to_contain_text("Postmortem")
    page.get_by_label("Summary").fill("Payments failed for 20 minutes after a bad config push.")
    page.get_by_label("Impact").fill("All card payments.")
    page.get_by_label("Why? (1)").fill("The pods crashed on start.")
    page.get_by_label("Why? (2)").fill("The new config had a typo.")
    page.get_by_label("Resolution steps").fill("Rolled the config back, restarted the pods.")
    page.get_by_label("Prevention measures").fill("Validate the config in CI.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".alert-success")).to_be_visible()
    journey.shot("postmortem written")
    page.get_by_role("button", name="Send for review").click()
    expect(page.locator(".badge.status-in_review")).to_have_text("In review")
    journey.shot("postmortem in review")

    # The ops manager (publish and close permissions) publishes it and closes the incident.
    journey.as_user(world["users"]["ops_manager"])
    page = journey.page
    page.goto(f"/incidents/{incident.pk}/postmortem/")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".badge.status-published")).to_have_text("Published")
    journey.shot("postmortem published")
    page.get_by_role("link", name=incident.reference).click()
    page.locator("#actions").get_by_role("button", name="Close").click()  # confirms
    expect(page.locator(".alert-success")).to_contain_text("Closed.")
    expect(page.locator("h1 ~ .badge.status-closed, .badge.status-closed").first).to_have_text(
        "Closed"
    )
    journey.shot("incident closed")
    incident.refresh_from_db()
    assert incident.status == "closed"
    assert re.match(r"INC-\d+", incident.reference)
