"""Segregation of duties: the requester and the implementer never approve or vote on their
change, whatever door they use and whatever roles they hold."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from changes import services as svc
from changes.models import Approval, CabMeeting, Status
from changes.selectors import awaiting_my_approval
from itsm import roles
from itsm.errors import DomainError
from tests.changes.factories import change_in_state, role_user

pytestmark = pytest.mark.django_db

CASES = [
    # (class, verb, approver role, input)
    ("normal", "approve", roles.OPS_MANAGER, {}),
    ("normal", "reject", roles.OPS_MANAGER, {"comment": "no"}),
    ("major", "vote", roles.CAB_MEMBER, {"decision": "approve"}),
]


@pytest.fixture
def parties(db):
    def build(change_class, role):
        requester = role_user(role, username="asker")
        implementer = role_user(role, username="doer")
        change = change_in_state(
            "awaiting_approval", change_class=change_class, requester=requester,
            implementer=implementer,
        )  # fmt: skip
        return change, requester, implementer

    return build


@pytest.mark.parametrize(("change_class", "verb", "role", "data"), CASES)
@pytest.mark.parametrize("who", ["requester", "implementer"])
def test_service(parties, change_class, verb, role, data, who):
    change, requester, implementer = parties(change_class, role)
    actor = requester if who == "requester" else implementer
    call = getattr(svc, f"change_{verb}")
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        call(change_id=change.pk, actor=actor, source="timer", **data)
    assert not Approval.objects.exists()


@pytest.mark.parametrize(("change_class", "verb", "role", "data"), CASES)
@pytest.mark.parametrize("who", ["requester", "implementer"])
def test_api(parties, api_client_for, change_class, verb, role, data, who):
    change, requester, implementer = parties(change_class, role)
    client = api_client_for(requester if who == "requester" else implementer)
    response = client.post(f"/api/v1/changes/{change.pk}/{verb}/", data, format="json")
    assert response.status_code == 403
    assert "segregation of duties" in response.json()["error"]["message"]
    detail = client.get(f"/api/v1/changes/{change.pk}/").json()
    assert not {"approve", "reject", "vote"} & set(detail["available_actions"])
    assert not Approval.objects.exists()


@pytest.mark.parametrize(("change_class", "verb", "role", "data"), CASES)
@pytest.mark.parametrize("who", ["requester", "implementer"])
def test_page(parties, client, change_class, verb, role, data, who):
    change, requester, implementer = parties(change_class, role)
    client.force_login(requester if who == "requester" else implementer)
    page = client.get(reverse("changes:detail", args=[change.pk])).content.decode()
    assert reverse("changes:transition", args=[change.pk, verb]) not in page
    response = client.post(reverse("changes:transition", args=[change.pk, verb]), data)
    assert response.status_code == 403
    assert not Approval.objects.exists()
    assert change not in awaiting_my_approval(requester if who == "requester" else implementer)


def test_cab_meeting_page_offers_no_vote_to_a_party(parties, client):
    change, requester, _implementer = parties("major", roles.CAB_MEMBER)
    meeting = svc.cab_meeting_create(actor=requester, source="web", title="CAB",
                                     starts_at=change.planned_start)  # fmt: skip
    assert list(meeting.agenda.all()) == [change]
    client.force_login(requester)
    page = client.get(reverse("changes:cab_detail", args=[meeting.pk])).content.decode()
    assert reverse("changes:transition", args=[change.pk, "vote"]) not in page
    response = client.post(
        reverse("changes:transition", args=[change.pk, "vote"]),
        {"decision": "approve", "meeting": meeting.pk},
    )
    assert response.status_code == 403 and CabMeeting.objects.get().votes.count() == 0


def test_whoever_decided_cannot_become_the_implementer(people):
    change = change_in_state("awaiting_approval", requester=people.requester, implementer=None)
    svc.change_approve(change_id=change.pk, actor=people.manager, source="web")
    with pytest.raises(DomainError, match="cannot implement"):
        svc.change_schedule(change_id=change.pk, actor=people.requester, source="web",
                            implementer=people.manager)  # fmt: skip
    svc.change_schedule(change_id=change.pk, actor=people.requester, source="web",
                        implementer=people.implementer)  # fmt: skip
    assert change.__class__.objects.get(pk=change.pk).status == Status.SCHEDULED


def test_the_implementer_cannot_be_swapped_to_a_voter_by_rescheduling(people, api_client_for):
    change = change_in_state(
        "awaiting_approval",
        change_class="major",
        requester=people.requester,
        implementer=people.implementer,
    )
    svc.change_vote(change_id=change.pk, actor=people.cab1, source="web", decision="approve")
    change = change_in_state("scheduled", requester=people.requester,
                             implementer=people.implementer)  # fmt: skip
    Approval.objects.create(change=change, approver=people.cab1, decision="approve")
    response = api_client_for(people.requester).post(
        f"/api/v1/changes/{change.pk}/reschedule/",
        {"planned_start": change.planned_start.isoformat(),
         "planned_end": change.planned_end.isoformat(), "implementer": "cab1"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert change.__class__.objects.get(pk=change.pk).implementer == people.implementer
