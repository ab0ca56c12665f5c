"""Reads other apps rely on: the covering change for a deployment, the inbox, my work."""

from datetime import timedelta

import pytest
from django.utils import timezone

from changes.models import Change
from changes.selectors import approved_change_covering, awaiting_my_approval, my_work_sections
from itsm.mywork import sections_for
from tests.changes.factories import change_in_state
from tests.itsm.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_the_public_model_path():
    from changes.models import Change as Imported

    assert Imported is Change and Imported._meta.label == "changes.Change"


@pytest.mark.parametrize(
    ("state", "covers"),
    [("approved", True), ("scheduled", True), ("implementing", True), ("awaiting_approval", False),
     ("completed", False), ("cancelled", False), ("draft", False)],
)  # fmt: skip
def test_only_an_approved_change_covers_a_deployment(people, state, covers):
    api = ServiceFactory()
    change = change_in_state(state, requester=people.requester, services=[api])
    found = approved_change_covering(service_ids=[api.pk], at=timezone.now())
    assert (found == change) is covers


def test_the_change_must_name_every_service_and_contain_the_instant(people):
    api, db, web = ServiceFactory(), ServiceFactory(), ServiceFactory()
    change = change_in_state("scheduled", requester=people.requester, services=[api, db])
    now = timezone.now()
    assert approved_change_covering(service_ids=[api.pk, db.pk], at=now) == change
    assert approved_change_covering(service_ids={api.pk}, at=now) == change
    assert approved_change_covering(service_ids=[api.pk, web.pk], at=now) is None
    assert approved_change_covering(service_ids=[api.pk], at=change.planned_end) is None
    assert (
        approved_change_covering(
            service_ids=[api.pk], at=change.planned_start - timedelta(seconds=1)
        )
        is None
    )
    assert approved_change_covering(service_ids=[], at=now) is None


def test_my_work_lists_approvals_my_changes_and_reviews(people):
    waiting = change_in_state("awaiting_approval", requester=people.requester)
    review = change_in_state("rolled_back", requester=people.requester)
    manager = {s["title"]: s["items"] for s in sections_for(people.manager)}
    assert manager["Changes waiting for my approval"] == [waiting]
    assert manager["Post-implementation reviews due"] == [review]
    requester = {str(s["title"]): s["items"] for s in my_work_sections(people.requester)}
    assert set(requester["My open changes"]) == {waiting, review}
    assert "Post-implementation reviews due" not in requester
    assert list(awaiting_my_approval(people.requester)) == []
