"""What the intake refuses: malformed (400), unsigned or wrongly signed (401), disabled (403),
oversized (413) and flooding (429) deliveries. A refusal stores nothing; a flood keeps
everything that was accepted before the limit."""

import base64
import datetime as dt
import json

import pytest

from incidents.models import Incident
from integrations import services
from integrations.models import Alert, AlertGroup, Delivery

from .conftest import EVENTS_URL
from .factories import SYSTEM, am_alert, am_payload, make_integration

pytestmark = pytest.mark.django_db


def nothing_stored():
    return (
        Incident.objects.count() == 0
        and AlertGroup.objects.count() == 0
        and Alert.objects.count() == 0
        and Delivery.objects.count() == 0
    )


def error_of(response) -> dict:
    return response.json()["error"]


@pytest.mark.parametrize(
    ("mutate", "names"),
    [
        (lambda p: p.pop("alerts"), "alerts"),
        (lambda p: p.update(alerts=[]), "alerts"),
        (lambda p: p.update(version="3"), "version"),
        (lambda p: p.pop("groupKey"), "groupKey"),
        (lambda p: p.update(status="broken"), "status"),
        (lambda p: p["alerts"][0].pop("startsAt"), "alerts[0].startsAt"),
        (lambda p: p["alerts"][0].update(startsAt="yesterday"), "alerts[0].startsAt"),
        (lambda p: p["alerts"][0].update(labels=["not", "a", "map"]), "alerts[0].labels"),
        (lambda p: p["alerts"][0].update(status="pending"), "alerts[0].status"),
        (lambda p: p.update(truncatedAlerts=-1), "truncatedAlerts"),
        (lambda p: p.update(status="resolved"), "status"),  # resolved with a firing alert
    ],
)
def test_a_malformed_payload_gets_400_naming_the_problem(integration, post_alerts, mutate, names):
    _integration, token = integration
    payload = am_payload([am_alert()])
    mutate(payload)
    response = post_alerts(token, payload)
    assert response.status_code == 400, response.content
    assert error_of(response)["message"].startswith(names), error_of(response)
    assert nothing_stored()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        (b"\xff\xfe", "UTF-8"),
        ("", "not valid JSON"),
    ],
)
def test_a_body_that_is_not_a_json_object_gets_400(integration, post_alerts, body, says):
    _integration, token = integration
    response = post_alerts(token, body)
    assert response.status_code == 400
    assert says in error_of(response)["message"]
    assert nothing_stored()


def test_no_token_wrong_token_and_wrong_scheme_get_401(integration, post_alerts):
    payload = am_payload([am_alert()])
    for auth in [None, "Bearer itk_wrong", "Token abc", "Basic !!!notbase64", "Bearer "]:
        headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
        response = post_alerts("", payload, **headers)
        assert response.status_code == 401, (auth, response.content)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert nothing_stored()


def test_basic_credentials_carry_the_token_as_password_or_user(integration, post_alerts):
    _integration, token = integration
    for credentials in [f"alertmanager:{token}", f"{token}:"]:
        basic = base64.b64encode(credentials.encode()).decode()
        response = post_alerts("", am_payload([am_alert()]), HTTP_AUTHORIZATION=f"Basic {basic}")
        assert response.status_code in (200, 201), response.content
    assert Incident.objects.count() == 1


def test_a_disabled_integration_gets_403(integration, post_alerts):
    integration, token = integration
    services.integration_update(
        integration_id=integration.pk, actor=None, source=SYSTEM, is_active=False
    )
    response = post_alerts(token, am_payload([am_alert()]))
    assert response.status_code == 403
    assert "disabled" in error_of(response)["message"]
    assert nothing_stored()


def test_a_rotated_token_keeps_working_for_the_grace_period_only(integration, post_alerts):
    integration, old = integration
    _integration, new = services.integration_rotate_token(
        integration_id=integration.pk, actor=None, source=SYSTEM, grace=dt.timedelta(hours=1)
    )
    assert post_alerts(new, am_payload([am_alert()], group_key="a")).status_code == 201
    assert post_alerts(old, am_payload([am_alert()], group_key="b")).status_code == 201
    services.integration_rotate_token(
        integration_id=integration.pk, actor=None, source=SYSTEM, grace=dt.timedelta(0)
    )
    assert post_alerts(new, am_payload([am_alert()], group_key="c")).status_code == 401
    assert post_alerts(old, am_payload([am_alert()], group_key="d")).status_code == 401


def test_an_oversized_payload_gets_413_and_stores_nothing(integration, post_alerts, settings):
    settings.INTEGRATIONS_MAX_PAYLOAD_BYTES = 2000
    _integration, token = integration
    alerts = [am_alert(labels={"instance": f"web{i}"}) for i in range(10)]
    response = post_alerts(token, am_payload(alerts))
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"
    assert nothing_stored()
    # Refused before the token is even looked at.
    assert post_alerts("wrong", am_payload(alerts)).status_code == 413
    assert post_alerts(token, am_payload(alerts[:1])).status_code == 201


def test_a_flood_is_limited_per_integration_without_losing_accepted_deliveries(world, post_alerts):
    flooded, token = make_integration(world, name="Flooding", rate_limit=5)
    _calm, calm_token = make_integration(world, name="Calm")
    statuses = []
    for i in range(8):
        payload = am_payload([am_alert(labels={"instance": f"web{i}"})], group_key=f"g{i}")
        statuses.append(post_alerts(token, payload))
    codes = [r.status_code for r in statuses]
    assert codes[:5] == [201] * 5 and codes[5:] == [429] * 3
    assert int(statuses[-1].headers["Retry-After"]) > 0
    assert error_of(statuses[-1])["code"] == "throttled"
    # Every accepted delivery was applied and kept; nothing of the refused ones.
    assert Delivery.objects.filter(integration=flooded).count() == 5
    assert Incident.objects.count() == 5
    assert set(AlertGroup.objects.values_list("key", flat=True)) == {f"g{i}" for i in range(5)}
    # Another integration has its own allowance.
    assert post_alerts(calm_token, am_payload([am_alert()])).status_code == 201


def test_generic_events_are_validated_too(integration, post_alerts):
    _integration, token = integration
    for payload, names in [
        ({"action": "trigger", "summary": "x"}, "dedup_key"),
        ({"dedup_key": "k", "action": "trigger"}, "summary"),
        ({"dedup_key": "k", "action": "explode", "summary": "x"}, "action"),
        ({"dedup_key": "k", "summary": "x", "links": ["not a url"]}, "links[0]"),
        ({"dedup_key": "k", "summary": "x", "details": "text"}, "details"),
    ]:
        response = post_alerts(token, json.dumps(payload), url=EVENTS_URL)
        assert response.status_code == 400, payload
        assert error_of(response)["message"].startswith(names), error_of(response)
    assert nothing_stored()
