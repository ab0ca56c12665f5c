"""Approval routing by class policy, CAB quorum and majority, one decision per person."""

import pytest
from django.core.exceptions import PermissionDenied

from changes import services as svc
from changes.models import Approval, ChangeClassPolicy, Status, Tally, decide
from itsm import roles
from itsm.errors import Conflict, DomainError
from itsm.models import AuditEvent
from tests.changes.factories import change_in_state, role_user

pytestmark = pytest.mark.django_db


def policy(**fields):
    return ChangeClassPolicy(change_class="major", **fields)


@pytest.mark.parametrize(
    ("tally", "result"),
    [
        (Tally(approve=2), None),  # below quorum
        (Tally(approve=2, abstain=1), Status.APPROVED),  # quorum counts abstentions
        (Tally(approve=1, reject=1, abstain=1), Status.REJECTED),  # 50 % is not more than 50 %
        (Tally(approve=2, reject=1), Status.APPROVED),
        (Tally(reject=3), Status.REJECTED),
        (Tally(abstain=3), None),  # nobody took a side: keep waiting
    ],
)
def test_cab_decision_follows_quorum_and_majority(tally, result):
    assert decide(policy(cab_vote=True, quorum=3, majority_percent=50), tally) == result


def test_a_larger_majority_can_be_required():
    strict = policy(cab_vote=True, quorum=3, majority_percent=66)
    assert decide(strict, Tally(approve=2, reject=1)) == Status.APPROVED  # 66.7 % > 66 %
    stricter = policy(cab_vote=True, quorum=3, majority_percent=67)
    assert decide(stricter, Tally(approve=2, reject=1)) == Status.REJECTED


def test_single_approvers_need_the_policy_count_and_any_rejection_rejects():
    two = ChangeClassPolicy(change_class="normal", required_approvals=2)
    assert decide(two, Tally(approve=1)) is None
    assert decide(two, Tally(approve=2)) == Status.APPROVED
    assert decide(two, Tally(approve=1, reject=1)) == Status.REJECTED


def test_a_major_change_is_decided_by_cab_votes(people):
    change = change_in_state("awaiting_approval", change_class="major", requester=people.requester)
    with pytest.raises(PermissionDenied):  # approvals are for single-approver classes
        svc.change_approve(change_id=change.pk, actor=people.cab1, source="web")
    with pytest.raises(PermissionDenied):  # only CAB members vote
        svc.change_vote(change_id=change.pk, actor=people.manager, source="web", decision="approve")
    svc.change_vote(change_id=change.pk, actor=people.cab1, source="web", decision="approve")
    svc.change_vote(change_id=change.pk, actor=people.cab2, source="web", decision="abstain",
                    comment="no opinion")  # fmt: skip
    assert change.__class__.objects.get(pk=change.pk).status == Status.AWAITING_APPROVAL
    change = svc.change_vote(change_id=change.pk, actor=people.cab3, source="api",
                             decision="approve")  # fmt: skip
    assert change.status == Status.APPROVED
    decided = AuditEvent.objects.for_object(change).filter(to_state=Status.APPROVED)
    assert decided.count() == 1 and decided.get().payload["abstain"] == 1


def test_nobody_decides_twice(people):
    ChangeClassPolicy.objects.filter(change_class="normal").update(required_approvals=2)
    change = change_in_state("awaiting_approval", requester=people.requester)
    svc.change_approve(change_id=change.pk, actor=people.manager, source="web")
    with pytest.raises(Conflict, match="already decided"):
        svc.change_approve(change_id=change.pk, actor=people.manager, source="web")
    with pytest.raises(Conflict):
        svc.change_reject(change_id=change.pk, actor=people.manager, source="web", comment="x")
    assert Approval.objects.filter(change=change).count() == 1


def test_two_approvals_when_the_policy_asks_for_two(people):
    ChangeClassPolicy.objects.filter(change_class="normal").update(required_approvals=2)
    change = change_in_state("awaiting_approval", requester=people.requester)
    assert svc.change_approve(change_id=change.pk, actor=people.manager,
                              source="web").status == Status.AWAITING_APPROVAL  # fmt: skip
    assert svc.change_approve(change_id=change.pk, actor=people.manager2,
                              source="web").status == Status.APPROVED  # fmt: skip


def test_a_rejection_needs_a_reason(people):
    change = change_in_state("awaiting_approval", requester=people.requester)
    with pytest.raises(DomainError, match="why"):
        svc.change_reject(change_id=change.pk, actor=people.manager, source="web", comment=" ")
    assert not Approval.objects.exists()


def test_the_approver_role_is_policy(people):
    ChangeClassPolicy.objects.filter(change_class="normal").update(approver_role=roles.OPS_LEADER)
    change = change_in_state("awaiting_approval", requester=people.requester)
    with pytest.raises(PermissionDenied):
        svc.change_approve(change_id=change.pk, actor=people.manager, source="web")
    svc.change_approve(change_id=change.pk, actor=people.leader, source="web")


def test_policy_edits_are_for_administrators_and_audited(people):
    normal = ChangeClassPolicy.objects.get(change_class="normal")
    with pytest.raises(PermissionDenied):
        svc.policy_update(policy_id=normal.pk, actor=people.manager, source="web", quorum=2)
    svc.policy_update(policy_id=normal.pk, actor=people.admin, source="web",
                      lead_time_business_days=4)  # fmt: skip
    event = AuditEvent.objects.for_object(normal).get()
    assert event.payload == {"lead_time_business_days": [3, 4]}


def test_a_superuser_is_still_bound_by_segregation_of_duties(make_user):
    boss = make_user(roles.ADMINISTRATOR, is_superuser=True)
    change = change_in_state("awaiting_approval", requester=boss)
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        svc.change_approve(change_id=change.pk, actor=boss, source="web")
    other = role_user(roles.OPS_MANAGER)
    svc.change_approve(change_id=change.pk, actor=other, source="web")
