"""Shared fixtures. Tests marked `postgres` or `redis` need those servers: they skip with a
reason on a laptop without them and fail in CI (CI=true), where the servers must be there."""

import os

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from itsm import roles
from tests.itsm.factories import UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI must provide it)")
    pytest.skip(reason)


def redis_url() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return None
    return url


@pytest.fixture(autouse=True)
def _require_servers(request):
    if request.node.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            _skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://...")
    if request.node.get_closest_marker("redis") and redis_url() is None:
        _skip_or_fail("needs Redis: set REDIS_URL=redis://... to a running server")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """Keep the migrated data that serialized-rollback tests restore on the connection class.

    Django keeps it on the connection object made when the test database was set up. Once
    Playwright's sync API runs (the browser tests), code in this thread can get a new
    connection object (Django's connections are context-local), without it: every later
    transactional test would then start from the empty database its predecessor flushed.
    """
    from django.db import connections

    for alias in connections:
        contents = getattr(connections[alias], "_test_serialized_contents", None)
        if contents is not None:
            type(connections[alias])._test_serialized_contents = contents
    return django_db_setup


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache keyed by user id, and ids repeat between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_user(db):
    def make(role: str | None = None, **kwargs):
        user = UserFactory(**kwargs)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def user_for(make_user):
    """One user per role name, created on first use."""
    cache: dict[str, object] = {}

    def get(role: str):
        if role not in cache:
            cache[role] = make_user(role, username=role)
        return cache[role]

    return get


@pytest.fixture
def admin_user(make_user):
    return make_user(roles.ADMINISTRATOR, username="admin1", is_staff=True, is_superuser=True)


@pytest.fixture
def api_client_for(db):
    def make(user) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


def pytest_collection_modifyitems(items):
    """Every transactional test restores the migrated data after its flush.

    A plain transactional test flushes the database and post_migrate recreates content types
    and role groups with new ids; a later serialized-rollback test then restores the old rows
    and collides with them. Making all of them serialized keeps one consistent state.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
            name in item.fixturenames for name in ("transactional_db", "live_server")
        )
        if transactional and not (marker is not None and marker.kwargs.get("serialized_rollback")):
            kwargs = dict(marker.kwargs) if marker is not None else {}
            kwargs.update(transaction=True, serialized_rollback=True)
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)
