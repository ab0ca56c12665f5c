"""The backups API: idempotent reports, targets with live compliance, bounded queries."""

from datetime import timedelta

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from backups.models import BackupRun, BackupTarget, RestoreTest
from itsm import roles
from tests.backups.factories import (
    BackupPolicyFactory,
    BackupRunFactory,
    BackupTargetFactory,
    RestoreTestFactory,
    StorageLocationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(make_user, api_client_for):
    from django.core.management import call_command

    call_command("backups_agent", "agent-db01")
    from django.contrib.auth import get_user_model

    return api_client_for(get_user_model().objects.get(username="agent-db01"))


def test_a_backup_job_reports_with_its_token_and_retries_safely(agent):
    policy = BackupPolicyFactory()
    body = {
        "target": policy.target.slug,
        "external_id": "veeam-77",
        "status": "succeeded",
        "size_bytes": 123,
        "checksum": "ef" * 32,
        "location": "s3://b/77",
    }
    first = agent.post("/api/v1/backup-runs/report/", body, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["status"] == "succeeded" and first.json()["created"] is True
    again = agent.post("/api/v1/backup-runs/report/", body, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.json()["changed"] is False
    conflict = agent.post(
        "/api/v1/backup-runs/report/", body | {"checksum": "00" * 32}, format="json"
    )
    assert conflict.status_code == 409 and conflict.json()["error"]["message"]
    assert BackupRun.objects.count() == 1


def test_reports_need_the_report_permission(make_user, api_client_for):
    policy = BackupPolicyFactory()
    client = api_client_for(make_user(roles.REQUESTER))
    response = client.post(
        "/api/v1/backup-runs/report/",
        {"target": policy.target.slug, "external_id": "1", "status": "running"},
        format="json",
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "code"),
    [({"status": "purged"}, 400), ({"target": "nope"}, 400), ({"size_bytes": -5}, 400)],
)
def test_bad_reports_are_400_never_500(agent, body, code):
    policy = BackupPolicyFactory()
    base = {"target": policy.target.slug, "external_id": "j", "status": "succeeded"}
    response = agent.post("/api/v1/backup-runs/report/", base | body, format="json")
    assert response.status_code == code
    assert response.json()["error"]["code"]


def test_targets_carry_their_compliance_and_filter_by_it(make_user, api_client_for):
    ok = BackupPolicyFactory(target=BackupTargetFactory(slug="ok"))
    BackupRunFactory(policy=ok, status="verified")
    BackupTargetFactory(slug="late", created_at=timezone.now() - timedelta(days=3))
    client = api_client_for(make_user())
    rows = {t["slug"]: t for t in client.get("/api/v1/backup-targets/").json()["results"]}
    assert rows["ok"]["compliance"] == "met" and rows["late"]["compliance"] == "breached"
    assert rows["ok"]["last_verified"] and rows["ok"]["backup_copies"] == 1
    only = client.get("/api/v1/backup-targets/?compliance=breached").json()["results"]
    assert {t["slug"] for t in only} == {"late"}


def test_an_administrator_creates_a_target_with_the_defaults_of_its_kind(user_for, api_client_for):
    location = StorageLocationFactory()
    client = api_client_for(user_for(roles.ADMINISTRATOR))
    response = client.post(
        "/api/v1/backup-targets/",
        {"name": "Orders DB", "kind": "database", "storage_location": location.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "orders-db" and body["rpo"] == "06:00:00" and body["rto"] == "04:00:00"
    target = BackupTarget.objects.get(slug="orders-db")
    assert sorted(target.policies.values_list("method", flat=True)) == ["differential", "full"]
    assert target.drills.filter(status="planned").count() == 1
    duplicate = client.post(
        "/api/v1/backup-targets/", {"name": "Orders DB", "kind": "database"}, format="json"
    )
    assert duplicate.status_code == 400
    patched = client.patch("/api/v1/backup-targets/orders-db/", {"rpo": "02:00:00"}, format="json")
    assert patched.status_code == 200 and patched.json()["rpo"] == "02:00:00"


def test_operators_cannot_edit_policies(user_for, api_client_for):
    policy = BackupPolicyFactory()
    client = api_client_for(user_for(roles.ONCALL))
    response = client.patch(
        f"/api/v1/backup-policies/{policy.pk}/", {"retention_days": 3}, format="json"
    )
    assert response.status_code == 403


def test_a_policy_without_any_retention_is_refused(user_for, api_client_for):
    policy = BackupPolicyFactory()
    client = api_client_for(user_for(roles.ADMINISTRATOR))
    response = client.patch(
        f"/api/v1/backup-policies/{policy.pk}/", {"retention_generations": None}, format="json"
    )
    assert response.status_code == 400
    assert "retention_days" in response.json()["error"]["details"]


def test_restore_tests_through_the_api(user_for, api_client_for):
    target = BackupTargetFactory(rto=timedelta(hours=4), rpo=timedelta(hours=6))
    run = BackupRunFactory(policy=BackupPolicyFactory(target=target), status="verified")
    client = api_client_for(user_for(roles.ONCALL))
    planned = client.post(
        "/api/v1/restore-tests/",
        {"target": target.slug, "planned_for": timezone.now().isoformat(), "assignee": "oncall"},
        format="json",
    )
    assert planned.status_code == 201, planned.json()
    drill_id = planned.json()["id"]
    now = timezone.now()
    recorded = client.post(
        f"/api/v1/restore-tests/{drill_id}/record/",
        {
            "started_at": (now - timedelta(minutes=50)).isoformat(),
            "finished_at": now.isoformat(),
            "data_verified": True,
            "run": run.pk,
            "evidence": "ok",
        },
        format="json",
    )
    assert recorded.status_code == 200, recorded.json()
    assert recorded.json()["status"] == "passed" and recorded.json()["meets_rto"] is True
    again = client.post(f"/api/v1/restore-tests/{drill_id}/cancel/", {"reason": "x"}, format="json")
    assert again.status_code == 409


@pytest.mark.parametrize("size", [5, 40])
def test_list_endpoints_have_a_fixed_query_budget(
    size, make_user, api_client_for, django_assert_max_num_queries
):
    for _ in range(size):
        policy = BackupPolicyFactory()
        BackupRunFactory(policy=policy, status="verified")
        RestoreTestFactory(target=policy.target)
    client = api_client_for(make_user())
    for url in (
        "/api/v1/backup-targets/",
        "/api/v1/backup-runs/",
        "/api/v1/restore-tests/",
        "/api/v1/backup-policies/",
        "/api/v1/storage-locations/",
    ):
        with django_assert_max_num_queries(5):
            assert client.get(url + "?page_size=50").status_code == 200


def test_runs_filter_by_target_status_and_external_id(make_user, api_client_for):
    failed = BackupRunFactory(status="failed", external_id="abc")
    BackupRunFactory(status="verified")
    client = api_client_for(make_user())
    assert [r["id"] for r in client.get("/api/v1/backup-runs/?status=failed").json()["results"]] \
        == [failed.pk]  # fmt: skip
    by_target = client.get(f"/api/v1/backup-runs/?target={failed.target.slug}").json()["results"]
    assert [r["id"] for r in by_target] == [failed.pk]
    assert client.get("/api/v1/backup-runs/?external_id=abc").json()["count"] == 1


def test_the_schema_documents_the_verbs():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    assert "/api/v1/backup-runs/report/" in paths
    for verb in ("start", "finish", "fail", "verify", "fail-verification", "expire", "purge"):
        assert f"/api/v1/backup-runs/{{id}}/{verb}/" in paths
    for verb in ("record", "cancel", "assign"):
        assert f"/api/v1/restore-tests/{{id}}/{verb}/" in paths
    assert "RunReportInputRequest" in schema["components"]["schemas"]


def test_a_drill_listed_by_the_api_is_paginated(make_user, api_client_for):
    for _ in range(3):
        RestoreTestFactory()
    body = api_client_for(make_user()).get("/api/v1/restore-tests/?page_size=2").json()
    assert body["count"] == RestoreTest.objects.count() and len(body["results"]) == 2
