"""Two approvers approving the same change at the same instant (PostgreSQL, real threads)."""

import contextlib
import threading

import pytest
from django.db import connection

from changes import services as svc
from changes.models import Approval, Change, ChangeClassPolicy, Status
from itsm import roles
from itsm.models import AuditEvent
from tests.changes.factories import change_in_state, role_user

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def widened_window(monkeypatch):
    """Hold each approver between recording its approval and counting the approvals until
    the other one gets there too (or a second passes). Without the row lock both count
    before either commits, and the race is lost every time instead of now and then; with the
    lock the second approver never gets there while the first holds it, so the wait ends."""
    from changes.services import approvals

    meeting_point = threading.Barrier(2)
    original = approvals.count_decisions

    def count_decisions(change):
        with contextlib.suppress(threading.BrokenBarrierError):
            meeting_point.wait(timeout=1)
        return original(change)

    monkeypatch.setattr(approvals, "count_decisions", count_decisions)


def race(change, approvers):
    """Start every approver at once (a barrier) and collect what each got."""
    barrier = threading.Barrier(len(approvers))
    outcomes: dict[str, object] = {}

    def approve(user):
        try:
            barrier.wait(timeout=10)
            outcomes[user.username] = svc.change_approve(
                change_id=change.pk, actor=user, source="api"
            ).status
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
            outcomes[user.username] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_approvals_at_once_give_one_transition_and_two_approvals():
    ChangeClassPolicy.objects.filter(change_class="normal").update(required_approvals=2)
    change = change_in_state("awaiting_approval", requester=role_user(roles.REQUESTER))
    approvers = [role_user(roles.OPS_MANAGER, username=f"m{n}") for n in range(2)]
    outcomes = race(change, approvers)
    assert sorted(outcomes.values()) == [Status.APPROVED, Status.AWAITING_APPROVAL], outcomes
    assert Change.objects.get(pk=change.pk).status == Status.APPROVED
    assert Approval.objects.filter(change=change).count() == 2
    events = AuditEvent.objects.for_object(change)
    assert events.filter(to_state=Status.APPROVED).count() == 1
    assert events.filter(action="approve").count() == 2


def test_when_one_approval_suffices_the_second_approver_gets_a_conflict():
    change = change_in_state("awaiting_approval", requester=role_user(roles.REQUESTER))
    approvers = [role_user(roles.OPS_MANAGER, username=f"m{n}") for n in range(2)]
    outcomes = race(change, approvers)
    from django_fsm import TransitionNotAllowed

    values = list(outcomes.values())
    assert values.count(Status.APPROVED) == 1, outcomes
    assert sum(isinstance(v, TransitionNotAllowed) for v in values) == 1, outcomes
    assert Approval.objects.filter(change=change).count() == 1
    assert AuditEvent.objects.for_object(change).filter(to_state=Status.APPROVED).count() == 1
