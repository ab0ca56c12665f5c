"""Alertmanager intake through the API: deduplication per group key, repeats, partial and
full resolution, severity and label mapping."""

import datetime as dt

import pytest
import time_machine

from incidents import services as incident_services
from incidents.models import Incident, Status
from integrations import services
from integrations.models import Alert, AlertGroup, Delivery, Integration
from itsm.models import AuditEvent

from .factories import SYSTEM, T0, am_alert, am_payload

pytestmark = pytest.mark.django_db
NOW = T0 + dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def notes(incident):
    return list(
        AuditEvent.objects.for_object(incident).filter(action="alert update").order_by("pk")
    )


def test_a_critical_alert_opens_one_p1_incident_and_keeps_the_raw_payload(integration, post_alerts):
    integration, token = integration
    payload = am_payload([am_alert()])
    response = post_alerts(token, payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "created"
    incident = Incident.objects.get()
    assert body["incident"]["reference"] == incident.reference
    assert incident.priority == "P1"
    assert incident.source == Incident.Source.MONITORING
    assert incident.status == Status.DETECTED
    assert incident.service.slug == "payments-api"
    assert incident.reported_by is None
    assert "HighErrorRate is firing" in incident.title
    assert AuditEvent.objects.for_object(incident).get(action="reported").source == "intake"
    delivery = Delivery.objects.get()
    assert delivery.body == response.wsgi_request.body.decode()
    assert delivery.incident == incident and delivery.alerts_new == 1
    group = AlertGroup.objects.get()
    assert (group.incident, group.alert_count, group.status) == (incident, 1, "firing")
    alert = Alert.objects.get()
    assert alert.ends_at is None, "0001-01-01T00:00:00Z means no end"
    assert alert.starts_at == T0


def test_an_exact_repeat_changes_nothing_but_is_logged(integration, post_alerts):
    integration, token = integration
    payload = am_payload([am_alert()])
    post_alerts(token, payload)
    incident = Incident.objects.get()
    events_before = AuditEvent.objects.for_object(incident).count()
    for _ in range(3):
        response = post_alerts(token, payload)
        assert response.status_code == 200
        assert response.json()["outcome"] == "duplicate"
        assert response.json()["incident"]["id"] == incident.pk
    assert Incident.objects.count() == 1
    assert AuditEvent.objects.for_object(incident).count() == events_before
    group = AlertGroup.objects.get()
    assert group.delivery_count == 4 and group.alert_count == 1
    assert Delivery.objects.filter(outcome="duplicate").count() == 3


def test_a_new_alert_in_the_group_updates_the_open_incident(integration, post_alerts):
    integration, token = integration
    first = am_alert(labels={"instance": "web1"})
    post_alerts(token, am_payload([first], group_key="g1"))
    second = am_alert(labels={"instance": "web2"}, starts_at=T0 + dt.timedelta(seconds=30))
    response = post_alerts(token, am_payload([first, second], group_key="g1"))
    assert response.status_code == 200
    assert response.json()["outcome"] == "updated"
    assert response.json()["alerts"] == {"total": 2, "new": 1, "resolved": 0}
    incident = Incident.objects.get()
    [note] = notes(incident)
    assert "1 new alert:" in note.message and note.payload["alert_count"] == 2
    group = AlertGroup.objects.get()
    assert group.alert_count == 2 and group.firing_count == 2 and group.last_seen_at == NOW


def test_a_partly_resolved_group_only_notes_the_resolved_alerts(integration, post_alerts):
    integration, token = integration
    a = am_alert(labels={"instance": "web1"})
    b = am_alert(labels={"instance": "web2"})
    post_alerts(token, am_payload([a, b], group_key="g1"))
    b_resolved = {**b, "status": "resolved", "endsAt": "2026-03-02T01:00:40Z"}
    response = post_alerts(token, am_payload([a, b_resolved], group_key="g1"))
    assert response.json()["outcome"] == "updated"
    assert response.json()["alerts"]["resolved"] == 1
    incident = Incident.objects.get()
    assert incident.status == Status.DETECTED
    assert "1 alert resolved" in notes(incident)[-1].message
    resolved = Alert.objects.get(fingerprint=b["fingerprint"])
    assert resolved.status == "resolved"
    assert resolved.ends_at == dt.datetime(2026, 3, 2, 1, 0, 40, tzinfo=dt.UTC)
    assert AlertGroup.objects.get().firing_count == 1


def test_a_resolved_group_recovers_its_incident(integration, post_alerts):
    integration, token = integration
    alert = am_alert()
    post_alerts(token, am_payload([alert]))
    resolved = {**alert, "status": "resolved", "endsAt": "2026-03-02T01:00:50Z"}
    response = post_alerts(token, am_payload([resolved]))
    assert response.json()["outcome"] == "recovered"
    incident = Incident.objects.get()
    assert incident.status == Status.RECOVERED
    assert "resolved" in incident.resolution_summary
    actions = list(AuditEvent.objects.for_object(incident).values_list("action", "source"))
    assert ("acknowledged", "intake") in actions and ("recovered", "intake") in actions
    assert AlertGroup.objects.get().status == "resolved"
    # Alertmanager may send the resolution again: nothing changes.
    assert post_alerts(token, am_payload([resolved])).json()["outcome"] == "duplicate"


def test_the_note_policy_only_notes_the_resolution(integration, post_alerts, world):
    integration, token = integration
    services.integration_update(
        integration_id=integration.pk,
        actor=None,
        source=SYSTEM,
        resolve_policy=Integration.ResolvePolicy.NOTE,
    )
    alert = am_alert()
    post_alerts(token, am_payload([alert]))
    resolved = {**alert, "status": "resolved", "endsAt": "2026-03-02T01:00:50Z"}
    assert post_alerts(token, am_payload([resolved])).json()["outcome"] == "noted"
    incident = Incident.objects.get()
    assert incident.status == Status.DETECTED
    assert "all alerts resolved" in notes(incident)[-1].message


def test_a_waiting_incident_is_resumed_then_recovered(integration, post_alerts, world):
    integration, token = integration
    alert = am_alert()
    post_alerts(token, am_payload([alert]))
    incident = Incident.objects.get()
    oncall = world["users"]["oncall"]
    incident_services.incident_acknowledge(incident_id=incident.pk, actor=oncall, source=SYSTEM)
    incident_services.incident_wait(
        incident_id=incident.pk, actor=oncall, source=SYSTEM, question="Which region?"
    )
    resolved = {**alert, "status": "resolved", "endsAt": "2026-03-02T01:00:50Z"}
    assert post_alerts(token, am_payload([resolved])).json()["outcome"] == "recovered"
    incident.refresh_from_db()
    assert incident.status == Status.RECOVERED
    assert incident.acknowledged_by == oncall


@pytest.mark.parametrize(
    ("severity", "priority"),
    [("critical", "P1"), ("warning", "P3"), ("CRITICAL", "P1"), ("page", "P3"), (None, "P3")],
)
def test_severity_gives_the_priority(integration, post_alerts, severity, priority):
    _integration, token = integration
    response = post_alerts(token, am_payload([am_alert(severity=severity)]))
    assert response.status_code == 201
    assert Incident.objects.get().priority == priority


def test_info_alerts_open_no_incident_but_are_kept(integration, post_alerts):
    _integration, token = integration
    response = post_alerts(token, am_payload([am_alert(severity="info")]))
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert Incident.objects.count() == 0
    group = AlertGroup.objects.get()
    assert group.priority == "" and group.incident is None and group.firing_count == 1


def test_an_administrator_can_map_other_severities(integration, post_alerts, world):
    integration, token = integration
    services.severity_set(
        integration_id=integration.pk,
        actor=world["users"]["admin"],
        source=SYSTEM,
        severity="Page",
        priority="P2",
    )
    post_alerts(token, am_payload([am_alert(severity="page")]))
    assert Incident.objects.get().priority == "P2"


def test_a_more_severe_alert_raises_the_open_incidents_priority(integration, post_alerts):
    _integration, token = integration
    warn = am_alert(severity="warning", labels={"instance": "db1"})
    post_alerts(token, am_payload([warn], group_key="g"))
    assert Incident.objects.get().priority == "P3"
    crit = am_alert(severity="critical", labels={"instance": "db1"})
    post_alerts(token, am_payload([warn, crit], group_key="g"))
    incident = Incident.objects.get()
    assert incident.priority == "P1"
    assert "more severe" in incident.priority_override_reason


def test_mapping_rules_place_alerts_by_labels(integration, post_alerts, world):
    integration, token = integration
    services.rule_add(
        integration_id=integration.pk,
        actor=world["users"]["ops_manager"],
        source=SYSTEM,
        matchers={"namespace": "db-.*"},
        service=world["database"],
    )
    post_alerts(token, am_payload([am_alert(labels={"namespace": "db-orders"})], group_key="a"))
    post_alerts(token, am_payload([am_alert(labels={"namespace": "web"})], group_key="b"))
    by_group = {g.key: g.incident for g in AlertGroup.objects.select_related("incident")}
    assert by_group["a"].service == world["database"] and by_group["a"].team.slug == "dba"
    assert by_group["b"].service == world["payments"]


def test_service_and_team_labels_are_used_when_no_rule_matches(integration, post_alerts, world):
    _integration, token = integration
    labels = {"service": "orders-db", "team": "platform-ops"}
    post_alerts(token, am_payload([am_alert(labels=labels)]))
    incident = Incident.objects.get()
    assert incident.service == world["database"]
    assert incident.team == world["team"]


def test_after_recovery_a_new_occurrence_opens_a_new_incident(integration, post_alerts):
    _integration, token = integration
    alert = am_alert()
    post_alerts(token, am_payload([alert]))
    post_alerts(
        token, am_payload([{**alert, "status": "resolved", "endsAt": "2026-03-02T01:00:50Z"}])
    )
    # A late retry of the old firing payload must not revive anything.
    late = post_alerts(token, am_payload([alert]))
    assert late.json()["outcome"] == "ignored"
    assert Incident.objects.count() == 1
    again = am_alert(starts_at=T0 + dt.timedelta(minutes=10))
    response = post_alerts(token, am_payload([again]))
    assert response.status_code == 201
    assert Incident.objects.count() == 2
    group = AlertGroup.objects.get()
    assert group.incident == Incident.objects.order_by("-pk").first()
    assert group.alert_count == 1


def test_a_human_recovery_then_a_repeat_opens_nothing_new(integration, post_alerts, world):
    _integration, token = integration
    payload = am_payload([am_alert()])
    post_alerts(token, payload)
    incident = Incident.objects.get()
    oncall = world["users"]["oncall"]
    incident_services.incident_acknowledge(incident_id=incident.pk, actor=oncall, source=SYSTEM)
    incident_services.incident_recover(
        incident_id=incident.pk, actor=oncall, source=SYSTEM, summary="Restarted"
    )
    assert post_alerts(token, payload).json()["outcome"] == "duplicate"
    assert Incident.objects.count() == 1


def test_updates_follow_a_merged_incident_to_the_one_it_was_merged_into(
    integration, post_alerts, world
):
    _integration, token = integration
    a = am_alert(labels={"instance": "web1"})
    post_alerts(token, am_payload([a], group_key="g"))
    duplicate = Incident.objects.get()
    target = incident_services.incident_report(
        actor=world["users"]["oncall"],
        source=SYSTEM,
        title="Payments down",
        service=world["payments"],
        scope="all_users",
        business_impact="revenue_loss",
        urgency="immediate",
    )
    incident_services.incident_merge(
        incident_id=duplicate.pk, into_id=target.pk, actor=world["users"]["oncall"], source=SYSTEM
    )
    b = am_alert(labels={"instance": "web2"})
    response = post_alerts(token, am_payload([a, b], group_key="g"))
    assert response.json()["outcome"] == "updated"
    assert response.json()["incident"]["id"] == target.pk
    assert Incident.objects.count() == 2
    assert notes(target)


def test_truncated_alerts_are_mentioned(integration, post_alerts):
    _integration, token = integration
    post_alerts(token, am_payload([am_alert()], truncated=7))
    assert "7 more alerts" in Incident.objects.get().description
