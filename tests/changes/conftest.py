import pytest
from django.core.cache import cache

from itsm import roles
from tests.changes.factories import role_user


@pytest.fixture
def people(db):
    """One user per role that matters to changes, none of them party to a change yet."""

    class People:
        requester = role_user(roles.REQUESTER, username="req")
        implementer = role_user(roles.REQUESTER, username="impl")
        leader = role_user(roles.OPS_LEADER, username="leader")
        manager = role_user(roles.OPS_MANAGER, username="manager")
        manager2 = role_user(roles.OPS_MANAGER, username="manager2")
        cab1 = role_user(roles.CAB_MEMBER, username="cab1")
        cab2 = role_user(roles.CAB_MEMBER, username="cab2")
        cab3 = role_user(roles.CAB_MEMBER, username="cab3")
        outsider = role_user(roles.REQUESTER, username="outsider")
        admin = role_user(roles.ADMINISTRATOR, username="boss")

    return People


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """API rate limits count in the cache by user id, and ids repeat from test to test: start
    and end each test with an empty cache so hundreds of API calls here never throttle a
    later test (ours or another app's)."""
    cache.clear()
    yield
    cache.clear()
