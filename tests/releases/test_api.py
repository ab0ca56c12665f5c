"""The releases API: CRUD through the services, one FilterSet, bounded queries, the schema."""

import re

import pytest
import yaml

from itsm import roles
from itsm.models import AuditEvent
from releases.models import Deployment, DeploymentIncident, Environment, Release, Stage
from tests.itsm.factories import ServiceFactory, TeamFactory

from .factories import ReleaseFactory, incident_row, release_in, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def dev(user_for, api_client_for):
    return api_client_for(user_for(roles.DEVELOPER))


def new_release(**overrides):
    team = TeamFactory()
    service = ServiceFactory(owner_team=team)
    body = {
        "version": "2.4.0",
        "title": "Faster checkout",
        "kind": "minor",
        "team": team.slug,
        "services": [service.slug],
        "planned_at": "2026-04-08T10:00:00+09:00",
        "strategy": "canary",
        "canary_percent": 10,
        "canary_duration_minutes": 60,
        "notes": "Checkout is faster.",
        "items": [
            {"category": "feature", "title": "One-page checkout"},
            {"category": "fix", "title": "Tax rounding", "link": "https://example.com/i/7"},
        ],
    }
    body.update(overrides)
    return body


def test_create_read_update_delete(dev, user_for, api_client_for):
    response = dev.post("/api/v1/releases/", new_release(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stage"] == "development"
    assert body["strategy_parameters"] == {"canary_percent": 10, "canary_duration_minutes": 60}
    assert [i["title"] for i in body["items"]] == ["One-page checkout", "Tax rounding"]
    assert body["allowed_actions"] == []  # no build yet: start_testing's gate is not met
    pk = body["id"]
    assert AuditEvent.objects.for_object(Release.objects.get(pk=pk)).get().action == "created"

    response = dev.patch(
        f"/api/v1/releases/{pk}/", {"title": "Checkout v2", "items": []}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Checkout v2" and response.json()["items"] == []

    assert dev.delete(f"/api/v1/releases/{pk}/").status_code == 403  # developers may not delete
    admin = api_client_for(user_for(roles.ADMINISTRATOR))
    assert admin.delete(f"/api/v1/releases/{pk}/").status_code == 204
    assert not Release.objects.exists()


def test_the_stage_cannot_be_written(dev):
    pk = dev.post("/api/v1/releases/", new_release(), format="json").json()["id"]
    dev.patch(f"/api/v1/releases/{pk}/", {"stage": "production"}, format="json")
    assert Release.objects.get(pk=pk).stage == Stage.DEVELOPMENT


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"services": []}, "services"),
        ({"canary_percent": None}, "canary_percent"),
        ({"strategy": "rolling", "canary_percent": None}, "rolling_batch_percent"),
        ({"version": "bad version!"}, "version"),
        ({"kind": "giant"}, "kind"),
        ({"canary_percent": 80}, "canary_percent"),
    ],
)
def test_invalid_input_is_a_400_that_names_the_field(dev, override, field):
    response = dev.post("/api/v1/releases/", new_release(**override), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["details"]


def test_a_duplicate_version_is_a_400(dev):
    dev.post("/api/v1/releases/", new_release(), format="json")
    response = dev.post("/api/v1/releases/", new_release(version="2.4.0"), format="json")
    assert response.status_code == 400
    assert "version" in response.json()["error"]["details"]


def test_readers_may_not_create(user_for, api_client_for):
    client = api_client_for(user_for(roles.MANAGER))
    assert client.post("/api/v1/releases/", new_release(), format="json").status_code == 403
    assert client.get("/api/v1/releases/").status_code == 200


def test_the_version_is_locked_after_development(dev):
    release = release_in(Stage.TEST)
    response = dev.patch(f"/api/v1/releases/{release.pk}/", {"version": "9.0.0"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "version_locked"


def test_a_finished_release_is_read_only(dev):
    release = release_in(Stage.DONE)
    response = dev.patch(f"/api/v1/releases/{release.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 409


def test_list_filters_are_the_pages_filters(dev):
    shop = ServiceFactory(slug="shop")
    a = ReleaseFactory(kind="hotfix", services=[shop])
    b = release_in(Stage.STAGING, kind="minor")
    c = release_in(Stage.DONE, kind="major")

    def ids(query):
        return {r["id"] for r in dev.get(f"/api/v1/releases/?{query}").json()["results"]}

    assert ids("kind=hotfix") == {a.pk}
    assert ids("service=shop") == {a.pk}
    assert ids("stage=staging&stage=done") == {b.pk, c.pk}
    assert ids("state=finished") == {c.pk}
    assert ids(f"q={b.version}") == {b.pk}
    assert ids("order=-version") == {a.pk, b.pk, c.pk}


def _many_releases(n):
    from tests.changes.factories import ChangeFactory

    for _i in range(n):
        release = release_in(Stage.TEST)
        release.services.add(ServiceFactory())
        release.changes.add(ChangeFactory(services=list(release.services.all())))
        release.incidents_fixed.add(incident_row())
        report(Deployment, release, environment=Environment.TEST)


def test_the_list_query_count_does_not_grow_with_the_page(dev, django_assert_max_num_queries):
    _many_releases(3)
    with django_assert_max_num_queries(12) as small:
        dev.get("/api/v1/releases/")
    _many_releases(20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = dev.get("/api/v1/releases/")
    assert response.json()["count"] == 23


def test_deployments_list_query_count_is_bounded(dev, django_assert_max_num_queries):
    _many_releases(3)
    with django_assert_max_num_queries(8) as small:
        dev.get("/api/v1/deployments/")
    _many_releases(15)
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = dev.get("/api/v1/deployments/?environment=test").json()
    assert body["count"] == 36  # two per release: release_in's and _many_releases'


def test_release_deployments_list_query_count_is_bounded(dev, django_assert_max_num_queries):
    release = release_in(Stage.TEST)
    with django_assert_max_num_queries(10) as small:
        dev.get(f"/api/v1/releases/{release.pk}/deployments/")
    for i in range(10):
        report(Deployment, release, environment=Environment.TEST, run_id=f"x{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert dev.get(f"/api/v1/releases/{release.pk}/deployments/").json()["count"] == 11


def test_notes_and_events(dev):
    pk = dev.post("/api/v1/releases/", new_release(), format="json").json()["id"]
    notes = dev.get(f"/api/v1/releases/{pk}/notes/").json()
    assert notes["markdown"].startswith("# 2.4.0 — Faster checkout")
    assert "- One-page checkout" in notes["markdown"]
    events = dev.get(f"/api/v1/releases/{pk}/events/").json()
    assert [e["action"] for e in events["results"]] == ["created"]


def test_link_an_incident_to_a_deployment_once(user_for, api_client_for):
    release = release_in(Stage.PRODUCTION)
    deployment = release.deployments.get()
    incident = incident_row()
    client = api_client_for(user_for(roles.ONCALL))
    url = f"/api/v1/deployments/{deployment.pk}/incidents/"
    assert client.post(url, {"incident": incident.pk}, format="json").status_code == 201
    assert client.post(url, {"incident": incident.pk}, format="json").status_code == 200
    assert DeploymentIncident.objects.count() == 1
    assert client.get(f"/api/v1/deployments/{deployment.pk}/").json()["incidents"] == [incident.pk]
    reader = api_client_for(user_for(roles.MANAGER))
    assert reader.post(url, {"incident": incident.pk}, format="json").status_code == 403


def test_linking_refuses_unknown_incidents_and_test_deployments(user_for, api_client_for):
    release = release_in(Stage.TEST)
    client = api_client_for(user_for(roles.ONCALL))
    test_deployment = release.deployments.get()
    response = client.post(
        f"/api/v1/deployments/{test_deployment.pk}/incidents/",
        {"incident": incident_row().pk},
        format="json",
    )
    assert response.status_code == 400
    assert "deployment" in response.json()["error"]["details"]
    production = report(Deployment, release, environment=Environment.PRODUCTION)
    response = client.post(
        f"/api/v1/deployments/{production.pk}/incidents/", {"incident": 99999}, format="json"
    )
    assert response.status_code == 400
    assert "INC-99999" in response.json()["error"]["message"]


def test_content_links_changes_and_incidents(dev):
    from tests.changes.factories import ChangeFactory

    change, incident = ChangeFactory(), incident_row(title="Card declined")
    body = new_release(changes=[change.pk], incidents_fixed=[incident.pk])
    response = dev.post("/api/v1/releases/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["changes"] == [change.pk]
    assert response.json()["incidents_fixed"] == [incident.pk]
    notes = dev.get(f"/api/v1/releases/{response.json()['id']}/notes/").json()["markdown"]
    assert f"## Changes\n\n- {change.reference}" in notes
    assert f"- {incident.reference} Card declined" in notes  # developers read incidents
    assert dev.post("/api/v1/releases/", new_release(version="2.5.0", changes=[999999]),
                    format="json").status_code == 400  # fmt: skip


def test_the_schema_documents_crud_transitions_and_reports(admin_user, client):
    client.force_login(admin_user)
    schema = yaml.safe_load(client.get("/api/schema/").content)
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/releases/"])
    assert {"get", "put", "patch", "delete"} <= set(paths["/api/v1/releases/{id}/"])
    verbs = ["start-testing", "fail-test", "promote-to-staging", "fail-staging", "start-canary",
             "promote-to-production", "rollback", "complete", "cancel"]  # fmt: skip
    for verb in verbs:
        operation = paths[f"/api/v1/releases/{{id}}/{verb}/"]["post"]
        assert "409" in operation["responses"]
    for report_path in ["deployments", "builds", "test-results"]:
        operation = paths[f"/api/v1/releases/{{id}}/{report_path}/"]["post"]
        assert {"200", "201"} <= set(operation["responses"])
    assert "/api/v1/releases/dora/" in paths
    assert "/api/v1/deployments/{id}/incidents/" in paths


def test_the_releases_part_of_the_schema_has_no_warnings(tmp_path, capsys):
    """Other apps' warnings are theirs; none may come from this app."""
    from django.core.management import call_command

    call_command("spectacular", "--file", str(tmp_path / "schema.yml"))
    captured = capsys.readouterr()
    ours = [
        line
        for line in (captured.err + captured.out).splitlines()
        if re.search(r"releases/api/|\bRelease\w*", line)
    ]
    assert ours == []
