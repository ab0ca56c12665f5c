"""GET /api/v1/reports/...: same figures as the pages, documented, permission-checked."""

import pytest
import time_machine

from itsm import roles

from .factories import MAY, REPORT_NOW

ENDPOINTS = [
    "/api/v1/reports/dashboard/",
    "/api/v1/reports/sla/",
    "/api/v1/reports/postmortems/",
    "/api/v1/reports/changes/",
    "/api/v1/reports/releases/",
    "/api/v1/reports/backups/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize(
    "role,status",
    [
        (roles.MANAGER, 200),
        (roles.OPS_MANAGER, 200),
        (roles.EXECUTIVE, 200),
        (roles.ADMINISTRATOR, 200),
        (roles.ONCALL, 403),
        (roles.REQUESTER, 403),
    ],
)
def test_access_by_role(api_client_for, user_for, url, role, status):
    assert api_client_for(user_for(role)).get(url).status_code == status


@pytest.mark.django_db
def test_anonymous_gets_401(client):
    response = client.get("/api/v1/reports/sla/")
    assert response.status_code in (401, 403)
    assert "error" in response.json()


@pytest.fixture
def api(api_client_for, user_for):
    return api_client_for(user_for(roles.MANAGER))


def test_sla_figures_as_json(api, may):
    with time_machine.travel(REPORT_NOW, tick=False):
        body = api.get("/api/v1/reports/sla/", {**MAY, "by": ["priority", "team"]}).json()
    assert body["filters"] == {
        "first_month": "2026-05-01",
        "last_month": "2026-05-01",
        "time_zone": "Asia/Seoul",
        "priorities": [],
        "team": None,
        "service": None,
    }
    totals = body["totals"]
    assert totals["tickets"] == 5
    assert totals["response_met_pct"] == 60.0
    assert totals["p90_tta_s"] == pytest.approx(4680)
    assert totals["p90_ttr_s"] == pytest.approx(17280)
    assert totals["links"]["breached_tickets"].startswith("/incidents/?")
    assert [row["key"] for row in body["by_priority"]] == ["P1", "P2", "P3", "P4"]
    assert {row["key"] for row in body["by_team"]} == {"platform-ops", "service-desk"}
    assert "by_service" not in body
    assert [row["incident_id"] for row in body["breaches"]] == [may["D"].pk, may["B"].pk]


def test_bad_filters_are_400_with_messages(api, world):
    response = api.get("/api/v1/reports/sla/", {"from": "2026-07", "to": "2026-01"})
    assert response.status_code == 400
    assert response.json()["error"]["code"]
    assert api.get("/api/v1/reports/sla/", {"team": "nope"}).status_code == 400
    assert api.get("/api/v1/reports/sla/", {"by": "weather"}).status_code == 400
    assert api.get("/api/v1/reports/sla/", {"tz": "Mars/Base"}).status_code == 400
    assert api.get("/api/v1/reports/sla/", {"from": "2020-01", "to": "2026-01"}).status_code == 400


def test_sla_history_as_json(api, may):
    with time_machine.travel(REPORT_NOW, tick=False):
        body = api.get(f"/api/v1/reports/sla/incidents/{may['A'].pk}/").json()
    resolution = next(c for c in body["clocks"] if c["name"] == "resolution")
    assert resolution["outcome"] == "met"
    assert resolution["elapsed_s"] == pytest.approx(9000)
    assert resolution["paused_s"] == pytest.approx(3600)
    assert [s["kind"] for s in resolution["steps"]] == ["started", "paused", "resumed", "stopped"]
    assert [s["counted_s"] for s in resolution["steps"]] == [None, 3600.0, None, 5400.0]
    assert any(e["action"] == "acknowledged" for e in body["events"])
    assert api.get("/api/v1/reports/sla/incidents/999999/").status_code == 404


def test_postmortems_changes_and_dashboard_as_json(api, may):
    with time_machine.travel(REPORT_NOW, tick=False):
        postmortems = api.get("/api/v1/reports/postmortems/", MAY).json()
        changes = api.get("/api/v1/reports/changes/", MAY).json()
        board = api.get("/api/v1/reports/dashboard/", {"tz": "Asia/Seoul"}).json()
    assert postmortems["by_month"][0]["label"] == "May 2026"
    assert changes["totals"]["total"] == 0
    assert board["month"] == "2026-05-01"
    assert board["figures"]["tickets"] == 5
    assert len(board["trend"]) == 6


@pytest.mark.parametrize("url", ENDPOINTS)
def test_api_query_counts_are_bounded(api, world, url, django_assert_max_num_queries):
    from reports import facts

    from .factories import build_may

    build_may(world)
    facts.rebuild()
    with django_assert_max_num_queries(20):
        assert api.get(url, MAY).status_code == 200


def test_schema_documents_the_reports(admin_user, api_client_for):
    response = api_client_for(admin_user).get("/api/schema/", {"format": "json"})
    schema = response.json()
    for path in ENDPOINTS + ["/api/v1/reports/sla/incidents/{id}/"]:
        assert path in schema["paths"], path
    components = schema["components"]["schemas"]
    assert "ReportSla" in components and "ReportSlaIncident" in components
    parameters = {p["name"] for p in schema["paths"]["/api/v1/reports/sla/"]["get"]["parameters"]}
    assert {"from", "to", "priority", "team", "service", "tz", "by"} <= parameters
