import pytest
from django.test import override_settings
from django.utils import timezone

from itsm.models import Heartbeat
from itsm.tasks import heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_is_public_and_reports_a_missing_heartbeat(client):
    body = client.get("/healthz").json()
    assert body["database"]["ok"] is True
    assert body["beat"]["ok"] is False and body["status"] == "degraded"


def test_healthz_reports_a_fresh_heartbeat(client):
    heartbeat.delay()
    body = client.get("/healthz").json()
    assert body["beat"]["ok"] is True
    assert body["beat"]["age_seconds"] < 60


def test_stale_heartbeat_is_reported(client):
    Heartbeat.objects.create(name="beat", at=timezone.now() - timezone.timedelta(minutes=10))
    assert client.get("/healthz").json()["beat"]["ok"] is False


@override_settings(METRICS_TOKEN="scrape-token")
def test_metrics_need_a_token_or_staff(client, make_user):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token")
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_latency_seconds_by_view_method" in text
    assert "itsm_timer_oldest_due_lag_seconds" in text
    client.force_login(make_user(is_staff=True))
    assert client.get("/metrics").status_code == 200
