import pytest

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
