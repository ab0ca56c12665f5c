"""Who is told what, by e-mail, in their own language, after the transaction commits."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from changes import services as svc
from itsm import roles
from tests.changes.factories import ChangeFactory, change_in_state, role_user

pytestmark = pytest.mark.django_db


def test_approvers_are_told_when_a_change_waits_for_them(
    people, django_capture_on_commit_callbacks
):  # fmt: skip
    role_user(roles.OPS_MANAGER, email="ko@example.com", language="ko")
    role_user(roles.OPS_MANAGER, email="ja@example.com", language="ja")
    party = role_user(roles.OPS_MANAGER, email="party@example.com")
    change = ChangeFactory(requester=party, change_class="emergency",
                           planned_start=timezone.now() + timedelta(hours=1))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        svc.change_submit(change_id=change.pk, actor=party, source="web")
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "party@example.com" not in by_address  # the requester does not approve
    assert {"ko@example.com", "ja@example.com"} <= set(by_address)
    assert change.reference in by_address["ko@example.com"].subject
    assert change.get_absolute_url() in by_address["ja@example.com"].body
    assert "manager2@example.com" in by_address  # people fixture's second ops manager


def test_nothing_is_sent_when_the_transaction_rolls_back(
    people, django_capture_on_commit_callbacks
):
    change = ChangeFactory(requester=people.requester, backup_plan="")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception):  # noqa: B017
        svc.change_submit(change_id=change.pk, actor=people.requester, source="web")
    assert mail.outbox == []


def test_the_requester_hears_of_a_cab_decision(people, django_capture_on_commit_callbacks):
    people.requester.email = "req@example.com"
    people.requester.save()
    change = change_in_state("awaiting_approval", requester=people.requester, change_class="major")
    with django_capture_on_commit_callbacks(execute=True):
        svc.change_vote(change_id=change.pk, actor=people.cab1, source="web", decision="reject",
                        comment="no")  # fmt: skip
        svc.change_vote(change_id=change.pk, actor=people.cab2, source="web", decision="reject",
                        comment="no")  # fmt: skip
    assert mail.outbox == []  # below the quorum: no decision yet
    with django_capture_on_commit_callbacks(execute=True):
        svc.change_vote(change_id=change.pk, actor=people.cab3, source="web", decision="approve")
    assert [m.to for m in mail.outbox] == [["req@example.com"]]
