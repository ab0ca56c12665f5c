"""End-to-end journeys through the services, one per class."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from changes import services as svc
from changes.models import Approval, ChecklistItem, Status
from itsm.models import AuditEvent
from tests.changes.factories import ChangeFactory
from tests.itsm.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def tick_all(change, kind, actor):
    for item in change.checklist_items.filter(kind=kind):
        svc.change_check_item(
            change_id=change.pk,
            item_id=item.pk,
            actor=actor,
            source="web",
            result=ChecklistItem.Result.PASSED,
        )


def test_a_normal_change_from_draft_to_closed(people):
    service = ServiceFactory(criticality=3)
    start = timezone.now() + timedelta(days=14)
    change = svc.change_create(
        actor=people.requester,
        source="web",
        title="Tune the pool",
        services=[service],
        execution_plan="x",
        rollback_plan="y",
        backup_plan="z",
        planned_start=start,
        planned_end=start + timedelta(hours=1),
        implementer=people.implementer,
        rollback_tested=True,
        tested_beforehand=True,
    )
    assert change.status == Status.DRAFT
    svc.change_submit(change_id=change.pk, actor=people.requester, source="web")
    svc.change_assess(change_id=change.pk, actor=people.leader, source="web")
    svc.change_request_approval(change_id=change.pk, actor=people.leader, source="web")
    change = svc.change_approve(change_id=change.pk, actor=people.manager, source="api")
    assert change.status == Status.APPROVED
    svc.change_schedule(change_id=change.pk, actor=people.implementer, source="web")
    tick_all(change, "precheck", people.implementer)
    svc.change_confirm_backup(
        change_id=change.pk, actor=people.implementer, source="web", reference="snap-1"
    )
    with time_machine.travel(start + timedelta(minutes=5)):
        svc.change_start(change_id=change.pk, actor=people.implementer, source="web")
        svc.change_finish(change_id=change.pk, actor=people.implementer, source="web", note="done")
        tick_all(change, "verification", people.implementer)
        svc.change_verify(change_id=change.pk, actor=people.implementer, source="web")
        change = svc.change_close(change_id=change.pk, actor=people.requester, source="web")
    assert change.status == Status.CLOSED
    steps = list(
        AuditEvent.objects.for_object(change)
        .exclude(from_state=models_to_state())
        .values_list("to_state", flat=True)
    )
    assert steps[-1] == "closed"
    assert Approval.objects.filter(change=change).count() == 1


def models_to_state():
    return "___"


def test_an_emergency_goes_straight_to_approval_and_needs_a_review(people):
    change = ChangeFactory(
        change_class="emergency",
        requester=people.requester,
        implementer=people.implementer,
        planned_start=timezone.now() + timedelta(minutes=5),
    )
    change = svc.change_submit(change_id=change.pk, actor=people.requester, source="web")
    assert change.status == Status.AWAITING_APPROVAL
    change = svc.change_approve(change_id=change.pk, actor=people.manager, source="web")
    assert change.status == Status.APPROVED
