"""The pages: lists with query budgets, detail with token rotation and raw payloads, webhook
log and actions, my notification preferences; who may see and do what."""

import pytest
from django.urls import reverse

from incidents.models import Incident
from integrations import services
from integrations.models import (
    Delivery,
    EmailSubscription,
    Integration,
    MappingRule,
    WebhookDelivery,
    WebhookSubscription,
    hash_token,
)

from .factories import SYSTEM, am_alert, am_payload, make_integration

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_the_list_page_costs_the_same_for_one_or_many_integrations(
    world, client_for, post_alerts, django_assert_max_num_queries
):
    client = client_for(world["users"]["ops_manager"])
    _integration, token = make_integration(world, name="one")
    post_alerts(token, am_payload([am_alert()]))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("integrations:list"))
    assert response.status_code == 200 and b"one" in response.content
    for n in range(15):
        _i, token = make_integration(world, name=f"more {n}")
        post_alerts(token, am_payload([am_alert()], group_key=f"k{n}"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("integrations:list"))
    assert response.content.count(b"/integrations/") >= 16


def test_the_list_is_filterable_by_query(world, client_for):
    make_integration(world, name="Prometheus Seoul")
    make_integration(world, name="Nagios Tokyo", is_active=False)
    client = client_for(world["users"]["oncall"])
    body = client.get(reverse("integrations:list"), {"q": "seoul"}).content.decode()
    assert "Prometheus Seoul" in body and "Nagios Tokyo" not in body
    body = client.get(reverse("integrations:list"), {"is_active": "false"}).content.decode()
    assert "Nagios Tokyo" in body and "Prometheus Seoul" not in body


def test_people_without_the_permission_see_only_their_preferences(world, client_for):
    integration, _token = make_integration(world, name="secret stuff")
    client = client_for(world["users"]["requester"])
    response = client.get(reverse("integrations:list"))
    assert response.status_code == 200 and b"secret stuff" not in response.content
    assert client.get(integration.get_absolute_url()).status_code == 403
    assert client.get(reverse("integrations:webhooks")).status_code == 403
    assert client.get(reverse("integrations:preferences")).status_code == 200


def test_create_shows_the_token_once(world, client_for, post_alerts):
    client = client_for(world["users"]["ops_manager"])
    response = client.post(
        reverse("integrations:create"),
        {
            "name": "Alertmanager prod",
            "default_service": world["payments"].pk,
            "severity_label": "severity",
            "service_label": "service",
            "team_label": "team",
            "unknown_severity_priority": "P3",
            "resolve_policy": "recover",
            "retention_days": 30,
            "is_active": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    integration = Integration.objects.get()
    token = response.context["new_token"]
    assert token.startswith("itk_") and hash_token(token) == integration.token_hash
    assert token.encode() in response.content
    assert list(
        integration.severities.values_list("severity", "priority").order_by("severity")
    ) == [("critical", "P1"), ("info", ""), ("warning", "P3")]
    again = client.get(integration.get_absolute_url())
    assert token.encode() not in again.content, "shown once"
    assert post_alerts(token, am_payload([am_alert()])).status_code == 201


def test_create_with_bad_input_shows_the_form_again(world, client_for):
    client = client_for(world["users"]["ops_manager"])
    response = client.post(reverse("integrations:create"), {"name": ""})
    assert response.status_code == 200 and response.context["form"].errors
    assert Integration.objects.count() == 0


def test_detail_rotates_the_token_and_manages_rules_and_severities(
    world, client_for, post_alerts, django_assert_max_num_queries
):
    integration, old = make_integration(world)
    post_alerts(old, am_payload([am_alert()]))
    client = client_for(world["users"]["ops_manager"])
    url = integration.get_absolute_url()
    with django_assert_max_num_queries(20):
        page = client.get(url)
    assert page.status_code == 200
    assert b"HighErrorRate" in page.content and Incident.objects.get().reference.encode() in (
        page.content
    )
    response = client.post(
        reverse("integrations:rotate", args=[integration.pk]), {"grace_hours": 0}, follow=True
    )
    new = response.context["new_token"]
    assert new and new != old
    assert post_alerts(old, am_payload([am_alert()], group_key="x")).status_code == 401
    client.post(
        reverse("integrations:rule_add", args=[integration.pk]),
        {"matchers": 'namespace=~"db-.*"\nenv=prod', "service": world["database"].pk},
    )
    rule = MappingRule.objects.get()
    assert rule.matchers == {"namespace": "db-.*", "env": "prod"}
    response = client.post(
        reverse("integrations:rule_add", args=[integration.pk]),
        {"matchers": 'namespace=~"("', "service": world["database"].pk},
        follow=True,
    )
    assert "not a regular expression" in response.content.decode()
    assert MappingRule.objects.count() == 1
    client.post(reverse("integrations:rule_delete", args=[integration.pk, rule.pk]))
    assert MappingRule.objects.count() == 0
    client.post(
        reverse("integrations:severity_set", args=[integration.pk]),
        {"severity": "Page", "priority": "P2"},
    )
    assert integration.severities.get(severity="page").priority == "P2"


def test_raw_payload_inspection(world, client_for, post_alerts):
    integration, token = make_integration(world)
    post_alerts(token, am_payload([am_alert(summary="Disk <b>full</b>")]))
    delivery = Delivery.objects.get()
    client = client_for(world["users"]["oncall"])
    response = client.get(reverse("integrations:delivery", args=[integration.pk, delivery.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "&quot;groupKey&quot;" in body and "Disk &lt;b&gt;full&lt;/b&gt;" in body
    other, _t = make_integration(world, name="other")
    assert (
        client.get(reverse("integrations:delivery", args=[other.pk, delivery.pk])).status_code
        == 404
    )
    listing = client.get(
        reverse("integrations:deliveries", args=[integration.pk]), {"outcome": "created"}
    )
    assert listing.status_code == 200 and b"Raw payload" in listing.content
    # On-call engineers look, they do not manage.
    assert client.post(reverse("integrations:rotate", args=[integration.pk])).status_code == 403


def test_webhook_pages_create_show_the_secret_and_act(
    world, client_for, django_assert_max_num_queries
):
    client = client_for(world["users"]["ops_manager"])
    response = client.post(
        reverse("integrations:webhook_create"),
        {
            "name": "Chat",
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["incident.created", "change.approved"],
            "failure_threshold": 10,
        },
        follow=True,
    )
    subscription = WebhookSubscription.objects.get()
    assert response.context["new_secret"] == subscription.secret
    for action in ("disable", "enable"):
        client.post(reverse("integrations:webhook_action", args=[subscription.pk, action]))
    subscription.refresh_from_db()
    assert subscription.is_active
    client.post(reverse("integrations:webhook_action", args=[subscription.pk, "ping"]))
    assert WebhookDelivery.objects.filter(event_type="ping").count() == 1
    with django_assert_max_num_queries(15):
        page = client.get(subscription.get_absolute_url())
    assert page.status_code == 200 and b"Delivery log" in page.content
    with django_assert_max_num_queries(10):
        assert client.get(reverse("integrations:webhooks")).status_code == 200
    body = client.get(reverse("integrations:webhooks"), {"event": "change.approved"}).content
    assert b"Chat" in body
    body = client.get(reverse("integrations:webhooks"), {"event": "backup.failed"}).content
    assert b"No webhook matches" in body
    response = client.post(
        reverse("integrations:webhook_action", args=[subscription.pk, "enable"]), follow=True
    )
    assert "already active" in response.content.decode()
    client.post(reverse("integrations:webhook_action", args=[subscription.pk, "delete"]))
    assert WebhookSubscription.objects.count() == 0


def test_my_preferences_page(world, client_for):
    user = world["users"]["requester"]
    client = client_for(user)
    response = client.post(
        reverse("integrations:preferences"),
        {
            "event_types": ["incident.created", "backup.failed"],
            "scope": "all",
            "language": "ko",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert set(
        EmailSubscription.objects.filter(user=user).values_list("event_type", flat=True)
    ) == {"incident.created", "backup.failed"}
    assert response.context["form"].initial["language"] == "ko"


def test_the_history_of_an_integration_is_audited(world):
    integration, _token = make_integration(world)
    services.integration_rotate_token(integration_id=integration.pk, actor=None, source=SYSTEM)
    from itsm.models import AuditEvent

    actions = list(AuditEvent.objects.for_object(integration).values_list("action", flat=True))
    assert actions == ["created", "token rotated"]
