"""Hardening: login lockout, CSP without inline scripts, API rate limits."""

import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_login_locks_after_repeated_failures(client, make_user):
    make_user(username="bob", password="right-password-1")
    for _ in range(3):
        client.post(reverse("login"), {"username": "bob", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "bob", "password": "right-password-1"})
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()


def test_pages_send_a_csp_without_inline_script(client, make_user):
    client.force_login(make_user())
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy).group(1)
    assert script_src.strip() == "'self'"
    assert "frame-ancestors 'none'" in policy


def test_no_template_carries_an_inline_script():
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if any("application/json" not in m.group(0) for m in inline.finditer(path.read_text()))
    ]
    assert offenders == []


def test_api_docs_use_no_inline_script(client, make_user):
    client.force_login(make_user())
    page = client.get("/api/docs/").content.decode()
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", page) is None


def test_api_is_rate_limited_per_user(make_user, api_client_for, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    # DRF copies the rates onto the class at import; patch them for this test only.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "3/min", "intake": "3/min"}
    )
    cache.clear()
    client = api_client_for(make_user())
    codes = [client.get("/api/v1/services/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/api/v1/services/").json()["error"]["code"] == "throttled"
