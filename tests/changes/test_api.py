"""The API: CRUD, the same filters as the page, the documented schema, errors and query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from changes.models import Change, ChangeClassPolicy, StandardTemplate
from itsm import roles
from tests.changes.factories import (
    ChangeFactory,
    FreezeFactory,
    TemplateFactory,
    WindowFactory,
    change_in_state,
    role_user,
)
from tests.itsm.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def iso(value):
    return value.isoformat()


def test_create_submit_and_read_back(api_client_for, people):
    service = ServiceFactory(slug="payments")
    client = api_client_for(people.requester)
    start = timezone.now() + timedelta(days=14)
    response = client.post("/api/v1/changes/", {
        "title": "Rotate keys", "services": ["payments"], "implementer": "impl",
        "execution_plan": "a", "rollback_plan": "b", "backup_plan": "c",
        "planned_start": iso(start), "planned_end": iso(start + timedelta(hours=1)),
        "rollback_tested": True,
    }, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["services"] == ["payments"]
    assert body["available_actions"] == ["submit", "cancel"]
    assert len(body["checklist"]) == 18
    response = client.post(f"/api/v1/changes/{body['id']}/submit/")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    assert response.json()["impacted_services"] == ["payments"]
    assert service.changes.count() == 1


def test_patch_edits_a_draft_and_delete_removes_it(api_client_for, people):
    change = ChangeFactory(requester=people.requester)
    client = api_client_for(people.requester)
    response = client.patch(f"/api/v1/changes/{change.pk}/", {"title": "New"}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "New"
    assert client.delete(f"/api/v1/changes/{change.pk}/").status_code == 204
    assert not Change.objects.exists()


def test_create_from_a_template(api_client_for, people):
    template = TemplateFactory(services=[ServiceFactory(criticality=3)])
    response = api_client_for(people.requester).post("/api/v1/changes/", {
        "template": template.pk, "planned_start": iso(timezone.now() + timedelta(hours=1)),
    }, format="json")  # fmt: skip
    assert response.status_code == 201 and response.json()["status"] == "approved"


def test_errors_share_one_format(api_client_for, people):
    client = api_client_for(people.requester)
    change = ChangeFactory(requester=people.requester, backup_plan="")
    response = client.post(f"/api/v1/changes/{change.pk}/submit/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "condition_not_met"
    response = client.post(f"/api/v1/changes/{change.pk}/verify/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "transition_not_allowed"
    response = client.post(f"/api/v1/changes/{change.pk}/reject/", {}, format="json")
    assert response.status_code == 400 and "comment" in response.json()["error"]["details"]
    assert client.post("/api/v1/changes/999999/submit/").status_code == 404
    short = ChangeFactory(requester=people.requester,
                          planned_start=timezone.now() + timedelta(hours=2))  # fmt: skip
    response = client.post(f"/api/v1/changes/{short.pk}/submit/")
    assert response.status_code == 400 and response.json()["error"]["code"] == "lead_time"
    assert "planned_start" in response.json()["error"]["details"]


def test_the_api_list_uses_the_page_filters(api_client_for, people):
    major = ChangeFactory(requester=people.requester, change_class="major", title="Big one")
    ChangeFactory(requester=people.outsider)
    client = api_client_for(people.requester)
    ids = lambda **p: [c["id"] for c in client.get("/api/v1/changes/", p).json()["results"]]  # noqa
    assert ids(change_class="major") == [major.pk]
    assert ids(q="big") == [major.pk]
    assert ids(q=major.reference) == [major.pk]
    assert ids(mine="1") == [major.pk]
    assert len(ids(ordering="-number")) == 2
    assert client.get("/api/v1/changes/", {"change_class": "huge"}).status_code == 400


def test_the_api_list_query_count_does_not_depend_on_the_page_size(api_client_for, people):
    for _ in range(30):
        ChangeFactory(
            requester=role_user(roles.REQUESTER),
            implementer=people.implementer,
            services=[ServiceFactory(), ServiceFactory()],
            checklists=False,
        )
    client = api_client_for(people.manager)
    client.get("/api/v1/changes/", {"page_size": 1})  # the token is looked up once, then cached
    counts = []
    for size in (5, 50):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/changes/", {"page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(size, 30)
        counts.append(len(captured))
    assert counts[0] == counts[1] <= 6, counts


def test_the_api_detail_query_count_is_bounded(api_client_for, people):
    change = change_in_state("awaiting_approval", requester=people.requester, change_class="major")
    client = api_client_for(people.cab1)
    client.get(f"/api/v1/changes/{change.pk}/")
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/api/v1/changes/{change.pk}/").status_code == 200
    assert len(captured) <= 20


def test_timeline_and_inbox_endpoints(api_client_for, people):
    change = change_in_state("awaiting_approval", requester=people.requester)
    client = api_client_for(people.manager)
    inbox = client.get("/api/v1/changes/awaiting-my-approval/").json()
    assert [c["id"] for c in inbox["results"]] == [change.pk]
    client.post(f"/api/v1/changes/{change.pk}/approve/", {"comment": "ok"}, format="json")
    timeline = client.get(f"/api/v1/changes/{change.pk}/timeline/").json()
    assert {e["kind"] for e in timeline} == {"event", "vote"}
    assert timeline[-1]["kind"] in {"event", "vote"}


def test_checklists_backup_work_log_and_comments(api_client_for, people):
    change = change_in_state("scheduled", requester=people.requester,
                             implementer=people.implementer)  # fmt: skip
    client = api_client_for(people.implementer)
    item = change.checklist_items.filter(kind="precheck").first()
    response = client.post(f"/api/v1/changes/{change.pk}/check/",
                           {"item": item.pk, "result": "failed", "note": "disk 95 %"},
                           format="json")  # fmt: skip
    assert response.status_code == 200
    assert response.json()["checklist"][0]["result"] == "failed"
    response = client.post(f"/api/v1/changes/{change.pk}/start/")
    assert response.status_code == 400
    assert client.post(f"/api/v1/changes/{change.pk}/confirm-backup/",
                       {"reference": "snap"}, format="json").status_code == 200  # fmt: skip
    assert client.post(f"/api/v1/changes/{change.pk}/comment/", {"text": "hi"},
                       format="json").status_code == 200  # fmt: skip
    assert client.post(f"/api/v1/changes/{change.pk}/work-log/", {"text": "x"},
                       format="json").status_code == 409  # fmt: skip


def test_templates_api_versions_and_retires(api_client_for, people):
    proposer = api_client_for(people.requester)
    response = proposer.post("/api/v1/change-templates/", {
        "name": "Cache flush", "execution_plan": "flush", "rollback_plan": "warm",
        "backup_plan": "none needed", "default_duration": "00:30:00",
    }, format="json")  # fmt: skip
    assert response.status_code == 201
    template_id = response.json()["id"]
    assert proposer.post(f"/api/v1/change-templates/{template_id}/approve/").status_code == 403
    manager = api_client_for(people.manager)
    assert manager.post(f"/api/v1/change-templates/{template_id}/approve/").json()["status"] == (
        "approved"
    )
    response = proposer.post(f"/api/v1/change-templates/{template_id}/new-version/")
    assert response.status_code == 201 and response.json()["version"] == 2
    new_id = response.json()["id"]
    assert manager.post(f"/api/v1/change-templates/{new_id}/approve/").status_code == 200
    assert StandardTemplate.objects.get(pk=template_id).status == "retired"


def test_calendar_api(api_client_for, people):
    start = timezone.now() + timedelta(days=1)
    change = change_in_state("scheduled", requester=people.requester, planned_start=start,
                             planned_end=start + timedelta(hours=1))  # fmt: skip
    FreezeFactory(start=start)
    WindowFactory(start=start - timedelta(days=14), recurrence="weekly")
    response = api_client_for(people.requester).get("/api/v1/change-calendar/", {
        "start": iso(start - timedelta(days=1)), "end": iso(start + timedelta(days=10)),
    })  # fmt: skip
    body = response.json()
    assert [c["id"] for c in body["changes"]] == [change.pk]
    assert len(body["freeze_periods"]) == 1 and len(body["maintenance_windows"]) >= 1


def test_policies_api_is_read_for_all_and_written_by_administrators(api_client_for, people):
    normal = ChangeClassPolicy.objects.get(change_class="normal")
    assert len(api_client_for(people.requester).get("/api/v1/change-policies/").json()[
        "results"]) == 4  # fmt: skip
    url = f"/api/v1/change-policies/{normal.pk}/"
    assert api_client_for(people.manager).patch(url, {"required_approvals": 2},
                                                format="json").status_code == 403  # fmt: skip
    response = api_client_for(people.admin).patch(url, {"required_approvals": 2}, format="json")
    assert response.status_code == 200 and response.json()["required_approvals"] == 2


def test_cab_meetings_api(api_client_for, people):
    change = change_in_state("awaiting_approval", requester=people.requester, change_class="major")
    client = api_client_for(people.cab1)
    response = client.post("/api/v1/cab-meetings/", {
        "title": "CAB", "starts_at": iso(timezone.now() + timedelta(days=1)),
    }, format="json")  # fmt: skip
    assert response.status_code == 201 and response.json()["agenda"] == [change.pk]
    meeting = response.json()["id"]
    response = client.post(
        f"/api/v1/changes/{change.pk}/vote/",
        {"decision": "approve", "meeting": meeting},
        format="json",
    )
    assert response.status_code == 200 and response.json()["approvals"][0]["meeting"] == meeting
    assert (
        api_client_for(people.requester)
        .post(
            "/api/v1/cab-meetings/", {"title": "x", "starts_at": iso(timezone.now())}, format="json"
        )
        .status_code
        == 403
    )


def test_the_schema_documents_every_transition(api_client_for, people):
    from changes.actions import ACTIONS

    schema = api_client_for(people.requester).get("/api/schema/?format=json").json()
    for action in ACTIONS.values():
        operation = schema["paths"][f"/api/v1/changes/{{id}}/{action.api_verb}/"]["post"]
        assert {"200", "400", "403", "409"} <= set(operation["responses"])
    assert "/api/v1/changes/{id}/vote/" in schema["paths"]


def test_anonymous_requests_are_refused(client):
    assert client.get("/api/v1/changes/").status_code in {401, 403}


def test_bad_ids_and_missing_fields_are_4xx_never_500(api_client_for, people):
    client = api_client_for(people.manager)
    for path in ["/api/v1/changes/abc/", "/api/v1/changes/5e-3/timeline/",
                 "/api/v1/change-templates/null/approve/", "/api/v1/cab-meetings/i/close/",
                 "/api/v1/freeze-periods/x/"]:  # fmt: skip
        assert client.post(path).status_code in {404, 405}, path
    template = TemplateFactory()
    response = client.post("/api/v1/changes/", {"template": template.pk}, format="json")
    assert response.status_code == 400
    assert "planned_start" in response.json()["error"]["details"]


def test_unknown_calendar_entries_and_policies_are_404(api_client_for, people):
    client = api_client_for(people.admin)
    assert client.delete("/api/v1/freeze-periods/0/").status_code == 404
    assert client.delete("/api/v1/maintenance-windows/0/").status_code == 404
    assert client.patch("/api/v1/change-policies/0/", {}, format="json").status_code == 404
