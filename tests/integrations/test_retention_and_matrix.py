"""Raw payloads are purged after the integration's retention by a daily timer; webhook
actions by state and role through the service, the API and the page."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django_fsm import TransitionNotAllowed  # noqa: F401 - documents what a 409 is not here

from incidents.models import Incident
from integrations import services
from integrations.models import AlertGroup, Delivery, WebhookSubscription
from itsm.errors import Conflict
from itsm.timers import services as timer_services
from itsm.timers.models import Timer

from .factories import SYSTEM, am_alert, am_payload, make_integration

pytestmark = pytest.mark.django_db


def test_old_raw_payloads_are_purged_daily_and_their_results_stay(world, post_alerts):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        integration, token = make_integration(world, retention_days=7)
        post_alerts(token, am_payload([am_alert()], group_key="old"))
    with time_machine.travel(start + dt.timedelta(days=6), tick=False):
        post_alerts(token, am_payload([am_alert()], group_key="recent"))
    timer = Timer.objects.get(kind=services.PURGE_KIND, state=Timer.State.ARMED)
    assert timer.due_at == start + dt.timedelta(days=1)
    with time_machine.travel(start + dt.timedelta(days=8), tick=False):
        timer_services.sweep()  # escalation timers of the incidents fire too
    assert list(Delivery.objects.values_list("group__key", flat=True)) == ["recent"]
    assert AlertGroup.objects.count() == 2 and Incident.objects.count() == 2
    rearmed = Timer.objects.get(kind=services.PURGE_KIND, state=Timer.State.ARMED)
    assert rearmed.due_at == start + dt.timedelta(days=9)


# state → how to reach it; action → service; who may act.
STATES = {
    "active": lambda s: None,
    "paused": lambda s: services.webhook_disable(subscription_id=s.pk, actor=None, source=SYSTEM),
}
ACTIONS = {
    "enable": services.webhook_enable,
    "disable": services.webhook_disable,
    "ping": services.webhook_ping,
}
ALLOWED_FROM = {"enable": {"paused"}, "disable": {"active"}, "ping": {"active", "paused"}}
ROLES = {"admin": True, "ops_manager": True, "ops_leader": False, "oncall": False,
         "requester": False}  # fmt: skip


def _subscription(world, state):
    subscription, _secret = services.webhook_create(
        actor=world["users"]["ops_manager"], source=SYSTEM, name="hook",
        url="http://127.0.0.1:9/hook", event_types=["incident.created"],
    )  # fmt: skip
    STATES[state](subscription)
    return subscription


def _expected(state, action, role) -> str:
    if not ROLES[role]:
        return "forbidden"
    return "ok" if state in ALLOWED_FROM[action] else "conflict"


MATRIX = [(s, a, r) for s in STATES for a in ACTIONS for r in ROLES]


@pytest.mark.parametrize(("state", "action", "role"), MATRIX)
def test_webhook_actions_through_the_service(world, state, action, role):
    subscription = _subscription(world, state)
    expected = _expected(state, action, role)
    call = lambda: ACTIONS[action](  # noqa: E731
        subscription_id=subscription.pk, actor=world["users"][role], source=SYSTEM
    )
    if expected == "ok":
        call()
    else:
        with pytest.raises(PermissionDenied if expected == "forbidden" else Conflict):
            call()


@pytest.mark.parametrize(("state", "action", "role"), MATRIX)
def test_webhook_actions_through_the_api(world, api_client_for, state, action, role):
    subscription = _subscription(world, state)
    response = api_client_for(world["users"][role]).post(
        f"/api/v1/webhooks/{subscription.pk}/{action}/"
    )
    expected = {"ok": {200, 202}, "forbidden": {403}, "conflict": {409}}
    assert response.status_code in expected[_expected(state, action, role)], response.content


@pytest.mark.parametrize(("state", "action", "role"), MATRIX)
def test_webhook_actions_through_the_page(world, client, state, action, role):
    subscription = _subscription(world, state)
    client.force_login(world["users"][role])
    before = WebhookSubscription.objects.get(pk=subscription.pk).is_active
    response = client.post(
        reverse("integrations:webhook_action", args=[subscription.pk, action]), follow=True
    )
    expected = _expected(state, action, role)
    if expected == "forbidden":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    after = WebhookSubscription.objects.get(pk=subscription.pk).is_active
    if expected == "conflict":
        assert any("already" in m for m in messages) and after == before
    elif action != "ping":
        assert after is (action == "enable")
