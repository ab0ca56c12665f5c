"""The management API: integrations, groups, raw deliveries, webhooks and their log, my
preferences; permissions and query budgets."""

import pytest

from integrations.models import Integration, WebhookDelivery, WebhookSubscription, hash_token

from .factories import am_alert, am_payload, make_integration

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_api(world, api_client_for):
    return api_client_for(world["users"]["ops_manager"])


def test_create_returns_the_token_once_and_lists_without_it(manager_api, world, post_alerts):
    response = manager_api.post(
        "/api/v1/integrations/",
        {
            "name": "AM prod",
            "default_service": "payments-api",
            "default_team": "dba",
            "resolve_policy": "note",
            "rate_limit": 100,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    token = response.json()["token"]
    integration = Integration.objects.get()
    assert hash_token(token) == integration.token_hash
    assert integration.default_team.slug == "dba" and integration.owner.username == "ops_manager"
    listed = manager_api.get("/api/v1/integrations/").json()["results"]
    assert "token" not in listed[0] and listed[0]["token_hint"] == token[:8]
    assert {s["severity"] for s in listed[0]["severities"]} == {"critical", "warning", "info"}
    assert post_alerts(token, am_payload([am_alert()])).status_code == 201


def test_bad_input_is_a_400_with_details(manager_api):
    response = manager_api.post(
        "/api/v1/integrations/", {"name": "x", "default_service": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "default_service" in response.json()["error"]["details"]


def test_rotate_rules_and_severities(manager_api, world, post_alerts):
    integration, old = make_integration(world)
    base = f"/api/v1/integrations/{integration.pk}"
    response = manager_api.post(f"{base}/rotate-token/", {"grace_hours": 0}, format="json")
    assert response.status_code == 200
    new = response.json()["token"]
    assert post_alerts(old, am_payload([am_alert()])).status_code == 401
    assert post_alerts(new, am_payload([am_alert()])).status_code == 201
    rule = manager_api.post(
        f"{base}/rules/", {"matchers": {"env": "prod"}, "service": "orders-db"}, format="json"
    )
    assert rule.status_code == 201 and rule.json()["service"] == "orders-db"
    bad = manager_api.post(
        f"{base}/rules/", {"matchers": {"env": "("}, "service": "orders-db"}, format="json"
    )
    assert bad.status_code == 400
    assert manager_api.delete(f"{base}/rules/{rule.json()['id']}/").status_code == 204
    severity = manager_api.post(
        f"{base}/severities/", {"severity": "page", "priority": "P2"}, format="json"
    )
    assert severity.status_code == 200 and severity.json()["priority"] == "P2"
    edited = manager_api.patch(f"{base}/", {"is_active": False}, format="json")
    assert edited.status_code == 200 and edited.json()["is_active"] is False


def test_groups_and_raw_deliveries(
    world, api_client_for, post_alerts, django_assert_max_num_queries
):
    integration, token = make_integration(world)
    for n in range(5):
        post_alerts(token, am_payload([am_alert(labels={"n": str(n)})], group_key=f"g{n}"))
    post_alerts(token, am_payload([am_alert(labels={"n": "0"})], group_key="g0"))
    api = api_client_for(world["users"]["oncall"])
    with django_assert_max_num_queries(8):
        groups = api.get("/api/v1/intake-groups/", {"integration": integration.pk}).json()
    assert groups["count"] == 5 and groups["results"][0]["incident_reference"].startswith("INC-")
    with django_assert_max_num_queries(8):
        deliveries = api.get("/api/v1/intake-deliveries/", {"outcome": "duplicate"}).json()
    assert deliveries["count"] == 1 and "body" not in deliveries["results"][0]
    detail = api.get(f"/api/v1/intake-deliveries/{deliveries['results'][0]['id']}/").json()
    assert '"groupKey"' in detail["body"]
    group_id = groups["results"][0]["id"]
    alerts = api.get(f"/api/v1/intake-groups/{group_id}/alerts/").json()
    assert alerts[0]["status"] == "firing"
    # On-call engineers read; they do not manage.
    assert api.post(f"/api/v1/integrations/{integration.pk}/rotate-token/").status_code == 403


def test_requesters_see_nothing(world, api_client_for):
    make_integration(world)
    api = api_client_for(world["users"]["requester"])
    for url in [
        "/api/v1/integrations/",
        "/api/v1/intake-deliveries/",
        "/api/v1/webhooks/",
        "/api/v1/webhook-deliveries/",
    ]:
        assert api.get(url).status_code == 403, url


def test_webhooks_through_the_api(manager_api, world, django_capture_on_commit_callbacks):
    response = manager_api.post(
        "/api/v1/webhooks/",
        {
            "name": "chat",
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["incident.created"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    secret = response.json()["secret"]
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret == secret
    base = f"/api/v1/webhooks/{subscription.pk}"
    assert "secret" not in manager_api.get(f"{base}/").json()
    with django_capture_on_commit_callbacks(execute=True):
        ping = manager_api.post(f"{base}/ping/")
    assert ping.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "retrying" and delivery.log.get().status_code is None
    log = manager_api.get("/api/v1/webhook-deliveries/", {"subscription": subscription.pk}).json()
    assert log["results"][0]["attempts_log"][0]["error"]
    assert (
        manager_api.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/").status_code == 409
    )
    assert (
        manager_api.post(f"{base}/disable/", {"reason": "maintenance"}, format="json").json()[
            "status"
        ]
        == "paused"
    )
    assert manager_api.post(f"{base}/disable/").status_code == 409
    assert manager_api.post(f"{base}/enable/").json()["is_active"] is True
    assert manager_api.post(f"{base}/rotate-secret/").json()["secret"] != secret
    bad = manager_api.patch(f"{base}/", {"event_types": ["nothing.happened"]}, format="json")
    assert bad.status_code == 400
    assert manager_api.delete(f"{base}/").status_code == 204


def test_event_types_and_my_preferences(world, api_client_for):
    api = api_client_for(world["users"]["requester"])
    types = api.get("/api/v1/webhook-event-types/").json()
    assert {"value": "backup.failed", "label": "Backup failed"} in types
    assert api.get("/api/v1/notification-preferences/").json() == {
        "language": "",
        "email_scope": "teams",
        "event_types": [],
    }
    response = api.put(
        "/api/v1/notification-preferences/",
        {
            "language": "ja",
            "email_scope": "all",
            "event_types": ["change.approved"],
        },
        format="json",
    )
    assert response.json() == {
        "language": "ja",
        "email_scope": "all",
        "event_types": ["change.approved"],
    }
    bad = api.put("/api/v1/notification-preferences/", {"event_types": ["x"]}, format="json")
    assert bad.status_code == 400


def test_the_schema_documents_the_intake(world, api_client_for):
    api = api_client_for(world["users"]["ops_manager"])
    schema = api.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/intake/alertmanager/"]["post"]
    assert operation["security"] == [{"IntakeToken": []}]
    assert "IntakeAlertmanagerPayloadRequest" in str(operation["requestBody"])
    assert {"200", "201", "400", "401", "413", "429"} <= set(operation["responses"])
