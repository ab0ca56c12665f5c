"""The API: same rules as the pages, documented, with bounded queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from itsm import roles
from itsm.timers.models import Timer
from maintenance.models import MaintenancePlan, MaintenanceRun, PendingUpdate
from tests.itsm.factories import ServiceFactory

from .factories import JobFactory, PlanFactory, RunFactory, UpdateFactory

pytestmark = pytest.mark.django_db
PLANS, JOBS, RUNS, UPDATES = (
    "/api/v1/maintenance-plans/",
    "/api/v1/maintenance-jobs/",
    "/api/v1/maintenance-runs/",
    "/api/v1/pending-updates/",
)


@pytest.fixture
def client_for(user_for, api_client_for):
    return lambda role: api_client_for(user_for(role))


def test_an_administrator_creates_a_plan_and_its_timer_is_armed(client_for):
    response = client_for(roles.ADMINISTRATOR).post(
        PLANS,
        {"name": "Tokyo nightly", "schedule": "30 4 * * *", "time_zone": "Asia/Tokyo"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["schedule_text"] == "Every day at 04:30"
    plan = MaintenancePlan.objects.get(pk=body["id"])
    assert (
        Timer.objects.filter(object_id=str(plan.pk), state="armed").get().due_at == plan.next_run_at
    )


def test_a_bad_schedule_is_a_400_with_a_message(client_for):
    response = client_for(roles.ADMINISTRATOR).post(
        PLANS, {"name": "Broken", "schedule": "0 25 * * *"}, format="json"
    )
    assert response.status_code == 400
    assert "not a valid schedule" in str(response.json())


def test_an_unknown_time_zone_is_a_400(client_for):
    response = client_for(roles.ADMINISTRATOR).post(
        PLANS, {"name": "Mars", "schedule": "0 3 * * *", "time_zone": "Mars/Olympus"}, format="json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        (roles.ADMINISTRATOR, 200, 201),
        (roles.OPS_MANAGER, 200, 403),
        (roles.MANAGER, 200, 403),
        (roles.REQUESTER, 403, 403),
    ],
)
def test_plan_permissions_by_role(client_for, role, read, write):
    client = client_for(role)
    assert client.get(PLANS).status_code == read
    response = client.post(PLANS, {"name": f"P {role}", "schedule": "0 3 * * *"}, format="json")
    assert response.status_code == write


def test_patching_the_schedule_rearms_the_timer(client_for):
    plan = PlanFactory()
    client = client_for(roles.ADMINISTRATOR)
    response = client.patch(f"{PLANS}{plan.pk}/", {"schedule": "0 1 * * 0"}, format="json")
    assert response.status_code == 200, response.json()
    plan.refresh_from_db()
    assert plan.next_run_at.weekday() in (5, 6)  # Sunday 01:00 Seoul is Saturday in UTC
    assert response.json()["next_run_at"] is not None
    assert response.json()["active_jobs"] == 0  # the same figures as the list and the detail


def test_run_pause_resume_actions(client_for):
    plan = PlanFactory()
    JobFactory(plan=plan)
    client = client_for(roles.ADMINISTRATOR)
    response = client.post(f"{PLANS}{plan.pk}/run/")
    assert response.status_code == 202 and response.json()["trigger"] == "manual"
    assert client.post(f"{PLANS}{plan.pk}/run/").status_code == 409
    assert client.post(f"{PLANS}{plan.pk}/pause/").json()["is_active"] is False
    assert client.post(f"{PLANS}{plan.pk}/resume/").json()["next_run_at"] is not None
    assert client_for(roles.MANAGER).post(f"{PLANS}{plan.pk}/run/").status_code == 403


def test_a_plan_with_runs_cannot_be_deleted(client_for):
    plan = PlanFactory()
    RunFactory(plan=plan)
    client = client_for(roles.ADMINISTRATOR)
    assert client.delete(f"{PLANS}{plan.pk}/").status_code == 409
    fresh = PlanFactory()
    assert client.delete(f"{PLANS}{fresh.pk}/").status_code == 204


def test_jobs_are_added_with_validated_parameters(client_for):
    plan = PlanFactory()
    client = client_for(roles.ADMINISTRATOR)
    good = {
        "plan": plan.pk,
        "name": "Tmp",
        "kind": "clean_temp_files",
        "parameters": {"max_age_hours": 6},
    }
    response = client.post(JOBS, good, format="json")
    assert response.status_code == 201, response.json()
    bad = {**good, "parameters": {"max_age_hours": 0}}
    assert client.post(JOBS, bad, format="json").status_code == 400
    typo = {**good, "parameters": {"max_age": 6}}
    response = client.post(JOBS, typo, format="json")
    assert response.status_code == 400 and "Unknown parameter" in str(response.json())
    no_template = {"plan": plan.pk, "name": "Patch", "kind": "standard_change"}
    assert client.post(JOBS, no_template, format="json").status_code == 400


def test_runs_filter_by_plan_status_and_date(client_for):
    plan, other = PlanFactory(), PlanFactory()
    now = timezone.now()
    RunFactory(plan=plan, scheduled_for=now - timedelta(days=3))
    RunFactory(plan=other, scheduled_for=now)
    client = client_for(roles.MANAGER)
    assert client.get(RUNS, {"plan": plan.pk}).json()["count"] == 1
    assert client.get(RUNS, {"status": "queued"}).json()["count"] == 2
    assert client.get(RUNS, {"after": (now - timedelta(days=1)).date()}).json()["count"] == 1
    assert client.get(RUNS, {"status": "bogus"}).status_code == 400


def test_run_detail_has_each_jobs_output(client_for, run_on_commit, user_for):
    from maintenance import services

    plan = PlanFactory()
    JobFactory(plan=plan, name="Sessions")
    run = run_on_commit(
        services.plan_run_now, plan_id=plan.pk, actor=user_for(roles.ADMINISTRATOR), source="api"
    )
    body = client_for(roles.OPS_LEADER).get(f"{RUNS}{run.pk}/").json()
    assert body["status"] == "succeeded"
    assert body["job_runs"][0]["name"] == "Sessions" and "Deleted" in body["job_runs"][0]["output"]


@pytest.mark.parametrize("endpoint", [PLANS, RUNS, UPDATES, JOBS])
def test_list_queries_do_not_grow_with_rows(client_for, endpoint, django_assert_max_num_queries):
    client = client_for(roles.ADMINISTRATOR)
    for _ in range(3):
        plan = PlanFactory()
        JobFactory(plan=plan).services.add(ServiceFactory())
        RunFactory(plan=plan)
        UpdateFactory(services=[ServiceFactory()])
    with django_assert_max_num_queries(12) as small:
        client.get(endpoint)
    for _ in range(15):
        plan = PlanFactory()
        JobFactory(plan=plan).services.add(ServiceFactory())
        RunFactory(plan=plan)
        UpdateFactory(services=[ServiceFactory()])
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(endpoint).status_code == 200


# --- pending updates --------------------------------------------------------------------


def test_registering_an_update_through_the_api(client_for):
    ServiceFactory(slug="payments")
    client = client_for(roles.ONCALL)
    payload = {
        "component": "OpenSSL",
        "version": "3.0.15",
        "kind": "security",
        "severity": 1,
        "advisory": "CVE-2024-5535",
        "services": ["payments"],
    }
    response = client.post(UPDATES, payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "registered" and response.json()["services"] == ["payments"]
    again = client.post(UPDATES, payload, format="json")
    assert again.status_code == 400 and "already registered" in again.json()["error"]["message"]
    assert (
        client_for(roles.REQUESTER)
        .post(UPDATES, {**payload, "version": "3.0.16"}, format="json")
        .status_code
        == 403
    )


def test_update_actions_answer_409_and_403(client_for):
    update = UpdateFactory()
    ops = client_for(roles.OPS_MANAGER)
    assert ops.post(f"{UPDATES}{update.pk}/apply/").status_code == 409
    assert (
        ops.post(f"{UPDATES}{update.pk}/dismiss/", {"note": ""}, format="json").status_code == 400
    )
    assert (
        client_for(roles.ONCALL).post(f"{UPDATES}{update.pk}/dismiss/", {"note": "x"}).status_code
        == 403
    )
    response = ops.post(
        f"{UPDATES}{update.pk}/dismiss/", {"note": "superseded by 3.0.16"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "dismissed"
    assert (
        ops.post(f"{UPDATES}{update.pk}/dismiss/", {"note": "again"}, format="json").status_code
        == 409
    )


def test_analyse_and_schedule_actions(client_for):
    update = UpdateFactory(services=[ServiceFactory()])
    ops = client_for(roles.OPS_LEADER)
    body = ops.post(f"{UPDATES}{update.pk}/analyse/").json()
    assert body["status"] == "analysed" and body["suggested_class"]
    response = ops.post(f"{UPDATES}{update.pk}/schedule/")
    assert response.status_code == 400  # no maintenance window: a clear message, no 500
    assert "No maintenance window" in response.json()["error"]["message"]
    assert PendingUpdate.objects.get(pk=update.pk).status == "analysed"


def test_updates_filter_by_state_kind_severity_and_service(client_for):
    service = ServiceFactory(slug="db")
    UpdateFactory(kind="security", severity=1, services=[service])
    UpdateFactory(kind="bugfix", severity=3)
    client = client_for(roles.OPS_MANAGER)
    assert client.get(UPDATES, {"kind": "security"}).json()["count"] == 1
    assert client.get(UPDATES, {"severity": [1, 3]}).json()["count"] == 2
    assert client.get(UPDATES, {"service": "db"}).json()["count"] == 1
    assert client.get(UPDATES, {"q": "component"}).json()["count"] == 2


def test_the_schema_documents_the_maintenance_endpoints(client_for):
    response = client_for(roles.ADMINISTRATOR).get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    for path in [
        "/api/v1/maintenance-plans/{id}/run/",
        "/api/v1/maintenance-runs/",
        "/api/v1/pending-updates/{id}/schedule/",
        "/api/v1/pending-updates/{id}/dismiss/",
    ]:
        assert path in paths
    assert MaintenanceRun.objects.count() == 0
