import json

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from .factories import make_integration, make_world

INTAKE_URL = "/api/v1/intake/alertmanager/"
EVENTS_URL = "/api/v1/intake/events/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Rate limits count in the cache; integration ids repeat across rolled-back tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def integration(world):
    return make_integration(world, name="Prometheus prod")


@pytest.fixture
def post_alerts():
    """POST a payload with a token the way Alertmanager does (a bearer credential)."""

    def post(token: str, payload, *, url: str = INTAKE_URL, **headers):
        client = APIClient()
        body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
        auth = headers.pop("HTTP_AUTHORIZATION", f"Bearer {token}" if token else None)
        if auth:
            headers["HTTP_AUTHORIZATION"] = auth
        return client.post(url, data=body, content_type="application/json", **headers)

    return post
