"""The API: CRUD, verbs, postmortems, action items, the schema, and bounded query counts."""

import datetime as dt

import pytest

from incidents.models import Incident, Postmortem, Status

from .factories import drive, publish_postmortem, report

pytestmark = pytest.mark.django_db


def test_create_reports_an_incident_with_the_matrix_priority(world, api_client_for):
    client = api_client_for(world.user("reporter"))
    response = client.post(
        "/api/v1/incidents/",
        {
            "title": "Checkout fails",
            "service": "payments-api",
            "scope": "all_users",
            "business_impact": "revenue_loss",
            "urgency": "immediate",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["priority"], body["status"], body["team"]) == ("P1", "detected", "platform-ops")
    assert body["escalation_steps"][0]["notified"] == ["oncall"]
    assert body["response_due_at"] is not None
    assert body["available_actions"] == []  # a reporter only reports


def test_create_validates_input_with_400(world, api_client_for):
    client = api_client_for(world.user("reporter"))
    response = client.post("/api/v1/incidents/", {"title": "x", "service": "nope"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) >= {"service", "scope", "urgency"}
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    response = client.post(
        "/api/v1/incidents/",
        {"title": "x", "service": "payments-api", "scope": "all_users", "business_impact": "minor",
         "urgency": "planned", "detected_at": future},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "detected_at" in response.json()["error"]["details"]


def test_executives_cannot_file(world, api_client_for):
    response = api_client_for(world.user("executive")).post(
        "/api/v1/incidents/",
        {
            "title": "x",
            "service": "payments-api",
            "scope": "all_users",
            "business_impact": "minor",
            "urgency": "planned",
        },
        format="json",
    )
    assert response.status_code == 403


def test_patch_edits_descriptive_fields_only(world, api_client_for):
    incident = report(world)
    client = api_client_for(world.user("oncall"))
    response = client.patch(
        f"/api/v1/incidents/{incident.pk}/", {"title": "Renamed", "status": "closed"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed" and response.json()["status"] == "detected"


def test_escalate_and_prioritize_verbs(world, api_client_for):
    incident = report(world, priority="P3")
    client = api_client_for(world.user("ops_leader"))
    response = client.post(
        f"/api/v1/incidents/{incident.pk}/escalate/", {"reason": "big"}, format="json"
    )
    assert response.status_code == 200 and response.json()["escalation_level"] == 2
    response = client.post(
        f"/api/v1/incidents/{incident.pk}/prioritize/", {"priority": "P1"}, format="json"
    )
    assert response.status_code == 400
    response = client.post(
        f"/api/v1/incidents/{incident.pk}/prioritize/",
        {"priority": "P1", "reason": "VIP"},
        format="json",
    )
    assert response.json()["priority"] == "P1"
    response = client.post(
        f"/api/v1/incidents/{incident.pk}/set-parent/", {"parent": incident.pk}, format="json"
    )
    assert response.status_code == 400


def test_unknown_incident_is_404_and_invisible_to_outsiders(world, api_client_for, make_user):
    assert api_client_for(world.user("oncall")).get("/api/v1/incidents/999999/").status_code == 404
    incident = report(world)
    stranger = make_user(None, username="stranger")
    assert api_client_for(stranger).get(f"/api/v1/incidents/{incident.pk}/").status_code == 404
    assert api_client_for(stranger).get("/api/v1/incidents/").json()["count"] == 0


def test_filters_are_shared_with_the_page(world, api_client_for):
    report(world, priority="P1", title="db down")
    report(world, priority="P4", title="typo")
    drive(world, report(world, priority="P4", title="old"), Status.CLOSED)
    client = api_client_for(world.user("oncall"))

    def titles(query):
        return sorted(
            i["title"] for i in client.get(f"/api/v1/incidents/?{query}").json()["results"]
        )

    assert titles("priority=P1") == ["db down"]
    assert titles("state=active") == ["db down", "typo"]
    assert titles("status=closed") == ["old"]
    assert titles("q=typo") == ["typo"]
    assert titles("team=platform-ops&ordering=-priority") == ["db down", "old", "typo"]
    assert client.get("/api/v1/incidents/?priority=P9").status_code == 400


def test_timeline_and_notifications_endpoints(world, api_client_for):
    incident = report(world, priority="P1")
    client = api_client_for(world.user("oncall"))
    timeline = client.get(f"/api/v1/incidents/{incident.pk}/timeline/").json()
    assert [e["action"] for e in timeline] == ["reported"]
    notes = client.get(f"/api/v1/incidents/{incident.pk}/notifications/").json()
    assert [n["recipient"] for n in notes["results"]] == ["oncall"]
    inbox = client.get("/api/v1/incident-notifications/?unread=1").json()
    assert inbox["count"] == 1
    assert client.post("/api/v1/incident-notifications/mark-read/").json() == {"marked": 1}


def test_postmortem_and_action_items_over_the_api(world, api_client_for):
    incident = drive(world, report(world, priority="P1"), Status.VERIFIED)
    oncall = api_client_for(world.user("oncall"))
    manager = api_client_for(world.user("ops_manager"))
    pm = Postmortem.objects.get(incident=incident)
    response = oncall.patch(
        f"/api/v1/postmortems/{pm.pk}/",
        {"summary": "s", "five_whys": ["a", "b"], "resolution": "r", "prevention": "p"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["missing_sections"] == []
    entry = oncall.post(
        f"/api/v1/postmortems/{pm.pk}/entries/",
        {"at": incident.detected_at.isoformat(), "text": "alert fired"},
        format="json",
    )
    assert entry.status_code == 201
    item = oncall.post(
        "/api/v1/incident-action-items/",
        {
            "postmortem": pm.pk,
            "title": "alert",
            "owner": "developer",
            "team": "platform-ops",
            "due_date": "2030-01-01",
        },
        format="json",
    )
    assert item.status_code == 201, item.json()
    assert oncall.post(f"/api/v1/postmortems/{pm.pk}/publish/").status_code == 409  # a draft
    assert oncall.post(f"/api/v1/postmortems/{pm.pk}/submit/").json()["status"] == "in_review"
    assert oncall.post(f"/api/v1/postmortems/{pm.pk}/publish/").status_code == 403
    assert manager.post(f"/api/v1/postmortems/{pm.pk}/publish/").json()["status"] == "published"
    assert oncall.post(f"/api/v1/postmortems/{pm.pk}/submit/").status_code == 409
    leader = api_client_for(world.user("ops_leader"))
    assert leader.post(f"/api/v1/incidents/{incident.pk}/close/").json()["status"] == "closed"
    done = api_client_for(world.user("developer")).post(
        f"/api/v1/incident-action-items/{item.json()['id']}/complete/",
        {"note": "shipped"},
        format="json",
    )
    assert done.json()["status"] == "done"


def test_policies_are_readable(world, api_client_for):
    client = api_client_for(world.user("requester"))
    assert len(client.get("/api/v1/incident-priority-matrix/").json()) == 6
    assert [p["priority"] for p in client.get("/api/v1/incident-priority-policies/").json()] == [
        "P1",
        "P2",
        "P3",
        "P4",
    ]
    levels = client.get("/api/v1/incident-escalation-policies/").json()["results"][0]["levels"]
    assert [(lvl["number"], lvl["role"], lvl["major_only"]) for lvl in levels] == [
        (1, "oncall", False), (2, "ops_leader", False), (3, "ops_manager", False),
        (4, "developer", False), (5, "executive", True),
    ]  # fmt: skip


def test_schema_documents_every_verb(world, api_client_for):
    schema = api_client_for(world.user("oncall")).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for verb in (
        "acknowledge",
        "triage",
        "escalate",
        "deescalate",
        "recover",
        "close",
        "reopen",
        "merge",
        "prioritize",
    ):
        operation = paths[f"/api/v1/incidents/{{id}}/{verb}/"]["post"]
        assert {"200", "400", "403", "409"} <= set(operation["responses"])
    assert "/api/v1/postmortems/{id}/publish/" in paths
    assert "/api/v1/incident-action-items/{id}/complete/" in paths


def test_delete_is_for_administrators(world, api_client_for):
    incident = report(world)
    assert (
        api_client_for(world.user("ops_leader"))
        .delete(f"/api/v1/incidents/{incident.pk}/")
        .status_code
        == 403
    )
    assert (
        api_client_for(world.user("admin")).delete(f"/api/v1/incidents/{incident.pk}/").status_code
        == 204
    )
    assert not Incident.objects.filter(pk=incident.pk).exists()


def _many(world, n):
    for i in range(n):
        incident = report(world, priority=["P1", "P2", "P3", "P4"][i % 4], title=f"incident {i}")
        if i % 3 == 0:
            drive(world, incident, Status.INVESTIGATING)
        if i % 5 == 0:
            drive(world, incident, Status.RECOVERED) if i % 3 else None


@pytest.mark.parametrize("n", [3, 30])
def test_list_query_count_does_not_grow_with_the_page(
    world, api_client_for, django_assert_max_num_queries, n
):
    _many(world, n)
    client = api_client_for(world.user("oncall"))
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/incidents/")
    assert response.json()["count"] == n


@pytest.mark.parametrize("n", [2, 20])
def test_action_item_and_postmortem_lists_are_bounded(
    world, api_client_for, django_assert_max_num_queries, n
):
    for i in range(n):
        incident = drive(world, report(world, priority="P1", title=f"i{i}"), Status.VERIFIED)
        publish_postmortem(world, incident)
    client = api_client_for(world.user("oncall"))
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/postmortems/").json()["count"] == n
    with django_assert_max_num_queries(10):
        client.get("/api/v1/incident-action-items/")
    with django_assert_max_num_queries(10):
        client.get("/api/v1/incident-notifications/")
