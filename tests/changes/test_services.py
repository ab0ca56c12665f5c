"""Business rules of the change services, one rule per test."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from changes import services as svc
from changes.models import Change, ChangeConflict, ChecklistItem, Status
from itsm.errors import Conflict, DomainError
from itsm.models import AuditEvent
from itsm.timers.models import Timer
from itsm.timers.services import timer_arm
from tests.changes.factories import (
    ChangeFactory,
    FreezeFactory,
    TemplateFactory,
    change_in_state,
)
from tests.itsm.factories import ServiceFactory

pytestmark = pytest.mark.django_db
WEB = "web"


def events(change, action):
    return AuditEvent.objects.for_object(change).filter(action=action)


def tick(change, kind, actor, result="passed"):
    for item in change.checklist_items.filter(kind=kind):
        svc.change_check_item(
            change_id=change.pk, item_id=item.pk, actor=actor, source=WEB, result=result
        )


# --- filing ----------------------------------------------------------------------------------


def test_create_needs_the_add_permission(people, make_user):
    nobody = make_user()  # no role at all
    with pytest.raises(PermissionDenied):
        svc.change_create(actor=nobody, source=WEB, title="x")
    change = svc.change_create(actor=people.requester, source=WEB, title="Patch the DB")
    assert change.status == Status.DRAFT
    assert change.checklist_items.filter(kind="precheck").count() == 9
    assert change.checklist_items.filter(kind="verification").count() == 9
    assert events(change, "create").count() == 1


def test_submission_needs_the_three_plans(people):
    change = ChangeFactory(requester=people.requester, backup_plan="")
    with pytest.raises(DomainError, match="plans are required"):
        svc.change_submit(change_id=change.pk, actor=people.requester, source=WEB)
    assert Change.objects.get(pk=change.pk).status == Status.DRAFT


def test_submission_needs_services_and_a_window(people):
    change = ChangeFactory(requester=people.requester, services=[])
    with pytest.raises(DomainError, match="affected service"):
        svc.change_submit(change_id=change.pk, actor=people.requester, source=WEB)
    change = ChangeFactory(requester=people.requester, planned_start=None, planned_end=None)
    with pytest.raises(DomainError, match="window"):
        svc.change_submit(change_id=change.pk, actor=people.requester, source=WEB)


def test_impact_follows_dependencies_and_a_critical_service_raises_the_risk(people):
    database = ServiceFactory(criticality=1)
    api = ServiceFactory(criticality=3)
    shop = ServiceFactory(criticality=3)
    api.depends_on.add(database)
    shop.depends_on.add(api)
    change = svc.change_create(actor=people.requester, source=WEB, title="DB", services=[database])
    assert set(change.impacted_services.all()) == {database, api, shop}
    assert "critical_service" in change.risk_reasons
    assert change.risk_level in {"medium", "high"}


def test_a_high_risk_change_cannot_be_filed_as_standard(people):
    database = ServiceFactory(criticality=1)
    change = ChangeFactory(
        requester=people.requester,
        change_class="standard",
        services=[database],
        affected_users=5000,
        rollback_tested=False,
    )
    with pytest.raises(DomainError, match="high-risk change cannot be a standard"):
        svc.change_submit(change_id=change.pk, actor=people.requester, source=WEB)
    change = svc.change_update(change_id=change.pk, actor=people.requester, source=WEB)
    assert change.risk_level == "high" and change.suggested_class == "major"
    assert change.status == Status.DRAFT


def test_the_assessor_may_reclassify_but_not_a_high_risk_as_standard(people):
    change = change_in_state(
        "submitted",
        requester=people.requester,
        affected_users=5000,
        services=[ServiceFactory(criticality=1)],
        rollback_tested=False,
    )
    with pytest.raises(DomainError, match="high-risk"):
        svc.change_assess(
            change_id=change.pk, actor=people.leader, source=WEB, change_class="standard"
        )
    change = svc.change_assess(
        change_id=change.pk,
        actor=people.leader,
        source=WEB,
        change_class="major",
        note="CAB please",
    )
    assert change.change_class == "major" and change.status == Status.ASSESSED
    assert events(change, "assess").get().payload["class"] == ["normal", "major"]


def test_an_emergency_goes_straight_to_the_ops_manager(people):
    change = ChangeFactory(
        change_class="emergency",
        requester=people.requester,
        planned_start=timezone.now() + timedelta(minutes=5),
    )
    change = svc.change_submit(change_id=change.pk, actor=people.requester, source=WEB)
    assert change.status == Status.AWAITING_APPROVAL
    reminder = Timer.objects.get(kind="changes.approval_reminder", state="armed")
    assert reminder.due_at - timezone.now() < timedelta(minutes=16)
    with pytest.raises(PermissionDenied):
        svc.change_approve(change_id=change.pk, actor=people.leader, source=WEB)
    change = svc.change_approve(change_id=change.pk, actor=people.manager, source=WEB)
    assert change.status == Status.APPROVED
    assert not Timer.objects.filter(kind="changes.approval_reminder", state="armed").exists()


def test_editing_is_for_drafts_only(people):
    change = change_in_state("submitted", requester=people.requester)
    with pytest.raises(Conflict):
        svc.change_update(change_id=change.pk, actor=people.requester, source=WEB, title="x")
    draft = ChangeFactory(requester=people.requester)
    with pytest.raises(PermissionDenied):
        svc.change_update(change_id=draft.pk, actor=people.outsider, source=WEB, title="x")
    svc.change_update(change_id=draft.pk, actor=people.requester, source=WEB, title="Better")
    assert events(draft, "update").get().payload == {"fields": ["title"]}


def test_only_a_draft_can_be_deleted(people):
    change = change_in_state("submitted", requester=people.requester)
    with pytest.raises(Conflict):
        svc.change_delete(change_id=change.pk, actor=people.requester, source=WEB)
    draft = ChangeFactory(requester=people.requester)
    svc.change_delete(change_id=draft.pk, actor=people.requester, source=WEB)
    assert not Change.objects.filter(pk=draft.pk).exists()


def test_cancelling_needs_a_reason_and_stops_the_timers(people):
    change = change_in_state("awaiting_approval", requester=people.requester)
    timer_arm(subject=change, kind="changes.approval_reminder", due_at=timezone.now())
    with pytest.raises(DomainError):
        svc.change_cancel(change_id=change.pk, actor=people.requester, source=WEB, reason=" ")
    svc.change_cancel(change_id=change.pk, actor=people.requester, source=WEB, reason="dup")
    assert not Timer.objects.filter(state="armed").exists()


# --- standard templates ----------------------------------------------------------------------


def test_a_change_from_an_approved_template_starts_approved(people):
    service = ServiceFactory(criticality=3)
    template = TemplateFactory(services=[service])
    start = timezone.now() + timedelta(hours=2)
    change = svc.change_create_from_template(
        actor=people.requester, source=WEB, template_id=template.pk, planned_start=start
    )
    assert change.status == Status.APPROVED and change.change_class == "standard"
    assert change.planned_end == start + template.default_duration
    assert change.execution_plan == template.execution_plan
    assert list(change.services.all()) == [service]
    assert events(change, "approve_from_template").get().to_state == Status.APPROVED


def test_a_proposed_or_retired_template_cannot_be_used(people):
    for status in ("proposed", "retired"):
        template = TemplateFactory(status=status)
        with pytest.raises(DomainError, match="approved template"):
            svc.change_create_from_template(
                actor=people.requester,
                source=WEB,
                template_id=template.pk,
                planned_start=timezone.now() + timedelta(hours=1),
            )


def test_a_template_is_used_only_on_its_services(people):
    template = TemplateFactory(services=[ServiceFactory()])
    with pytest.raises(DomainError, match="its own services"):
        svc.change_create_from_template(
            actor=people.requester,
            source=WEB,
            template_id=template.pk,
            planned_start=timezone.now() + timedelta(hours=1),
            services=[ServiceFactory()],
        )


def test_without_auto_approval_a_template_change_waits_for_the_ops_leader(people):
    from changes.models import ChangeClassPolicy

    ChangeClassPolicy.objects.filter(change_class="standard").update(
        auto_approve_from_template=False
    )
    template = TemplateFactory(services=[ServiceFactory(criticality=3)])
    change = svc.change_create_from_template(
        actor=people.requester,
        source=WEB,
        template_id=template.pk,
        planned_start=timezone.now() + timedelta(hours=2),
    )
    assert change.status == Status.DRAFT
    svc.change_submit(change_id=change.pk, actor=people.requester, source=WEB)
    svc.change_assess(change_id=change.pk, actor=people.manager, source=WEB)
    svc.change_request_approval(change_id=change.pk, actor=people.manager, source=WEB)
    change = svc.change_approve(change_id=change.pk, actor=people.leader, source=WEB)
    assert change.status == Status.APPROVED


# --- calendar: freeze periods and conflicts --------------------------------------------------


def test_scheduling_into_a_freeze_is_refused_except_for_emergencies(people):
    freeze = FreezeFactory(start=timezone.now() - timedelta(days=1))
    change = change_in_state("approved", requester=people.requester)
    with pytest.raises(DomainError, match=freeze.name):
        svc.change_schedule(change_id=change.pk, actor=people.requester, source=WEB)
    emergency = change_in_state("approved", requester=people.requester, change_class="emergency")
    svc.change_schedule(change_id=emergency.pk, actor=people.requester, source=WEB)
    assert Change.objects.get(pk=emergency.pk).status == Status.SCHEDULED


def test_a_freeze_on_other_services_does_not_matter(people):
    freeze = FreezeFactory(start=timezone.now() - timedelta(days=1))
    freeze.services.set([ServiceFactory()])
    change = change_in_state("approved", requester=people.requester)
    svc.change_schedule(change_id=change.pk, actor=people.requester, source=WEB)


def test_an_overlapping_change_on_the_same_service_is_reported_as_a_conflict(people):
    service = ServiceFactory(criticality=3)
    first = change_in_state("scheduled", requester=people.requester, services=[service])
    other = change_in_state("scheduled", requester=people.requester, services=[ServiceFactory()])
    second = change_in_state("approved", requester=people.requester, services=[service])
    svc.change_schedule(change_id=second.pk, actor=people.requester, source=WEB)
    conflict = ChangeConflict.objects.get(change=second)
    assert conflict.other == first and conflict.services == [service.name]
    assert not ChangeConflict.objects.filter(other=other).exists()
    assert events(second, "conflict_detected").get().payload == {"changes": [first.pk]}


def test_a_conflict_through_a_dependency_is_found_too(people):
    database = ServiceFactory(criticality=3)
    api = ServiceFactory(criticality=3)
    api.depends_on.add(database)
    first = change_in_state("scheduled", requester=people.requester, services=[api])
    second = change_in_state("approved", requester=people.requester, services=[database])
    second.impacted_services.set([database, api])
    svc.change_schedule(change_id=second.pk, actor=people.requester, source=WEB)
    assert ChangeConflict.objects.get(change=second).other == first


def test_rescheduling_a_normal_change_keeps_its_lead_time(people):
    change = change_in_state("scheduled", requester=people.requester,
                             submitted_at=timezone.now())  # fmt: skip
    start = timezone.now() + timedelta(hours=1)
    with pytest.raises(DomainError, match="emergency"):
        svc.change_reschedule(
            change_id=change.pk,
            actor=people.requester,
            source=WEB,
            planned_start=start,
            planned_end=start + timedelta(hours=1),
        )


# --- implementation --------------------------------------------------------------------------


def test_implementation_starts_inside_the_window_after_prechecks_and_backup(people):
    change = change_in_state("approved", requester=people.requester,
                             implementer=people.implementer,
                             planned_start=timezone.now() + timedelta(hours=1))  # fmt: skip
    ChecklistItem.objects.filter(change=change).update(result="")
    svc.change_schedule(change_id=change.pk, actor=people.implementer, source=WEB)
    with pytest.raises(DomainError, match="pre-check"):
        svc.change_start(change_id=change.pk, actor=people.implementer, source=WEB)
    tick(change, "precheck", people.implementer)
    with pytest.raises(DomainError, match="backup"):
        svc.change_start(change_id=change.pk, actor=people.implementer, source=WEB)
    with pytest.raises(DomainError):
        svc.change_confirm_backup(
            change_id=change.pk, actor=people.implementer, source=WEB, reference=""
        )
    svc.change_confirm_backup(
        change_id=change.pk, actor=people.implementer, source=WEB, reference="snap-42"
    )
    with pytest.raises(DomainError, match="starts at"):
        svc.change_start(change_id=change.pk, actor=people.implementer, source=WEB)
    with (
        time_machine.travel(change.planned_end + timedelta(minutes=1)),
        pytest.raises(DomainError, match="over"),
    ):
        svc.change_start(change_id=change.pk, actor=people.implementer, source=WEB)
    with time_machine.travel(change.planned_start + timedelta(minutes=1)):
        svc.change_start(change_id=change.pk, actor=people.implementer, source=WEB)
    assert Change.objects.get(pk=change.pk).status == Status.IMPLEMENTING


def test_prechecks_only_before_and_verification_only_during_verification(people):
    change = change_in_state("implementing", requester=people.requester,
                             implementer=people.implementer)  # fmt: skip
    precheck = change.checklist_items.filter(kind="precheck").first()
    verification = change.checklist_items.filter(kind="verification").first()
    with pytest.raises(Conflict):
        svc.change_check_item(
            change_id=change.pk,
            item_id=precheck.pk,
            actor=people.implementer,
            source=WEB,
            result="passed",
        )
    with pytest.raises(Conflict):
        svc.change_check_item(
            change_id=change.pk,
            item_id=verification.pk,
            actor=people.implementer,
            source=WEB,
            result="passed",
        )
    with pytest.raises(PermissionDenied):
        svc.change_log_work(change_id=change.pk, actor=people.outsider, source=WEB, text="x")
    svc.change_log_work(change_id=change.pk, actor=people.implementer, source=WEB, text="step 1")


def test_finishing_needs_a_work_log_entry(people):
    change = change_in_state("implementing", requester=people.requester,
                             implementer=people.implementer)  # fmt: skip
    change.work_log.all().delete()
    with pytest.raises(DomainError, match="work log"):
        svc.change_finish(change_id=change.pk, actor=people.implementer, source=WEB)
    svc.change_finish(change_id=change.pk, actor=people.implementer, source=WEB, note="done")
    assert change.work_log.count() == 1


def test_a_failed_check_blocks_verification_and_leads_to_rollback_and_review(people):
    change = change_in_state("verifying", requester=people.requester,
                             implementer=people.implementer)  # fmt: skip
    item = change.checklist_items.filter(kind="verification").first()
    svc.change_check_item(change_id=change.pk, item_id=item.pk, actor=people.implementer,
                          source=WEB, result="failed", note="p95 4 s")  # fmt: skip
    with pytest.raises(DomainError, match="verification check"):
        svc.change_verify(change_id=change.pk, actor=people.implementer, source=WEB)
    svc.change_fail(change_id=change.pk, actor=people.implementer, source=WEB,
                    reason="performance below the SLO")  # fmt: skip
    change = svc.change_roll_back(change_id=change.pk, actor=people.implementer, source=WEB,
                                  notes="restored")  # fmt: skip
    assert change.review_due_at is not None
    assert Timer.objects.get(kind="changes.review_overdue").due_at == change.review_due_at
    with pytest.raises(DomainError, match="cause analysis"):
        svc.change_start_review(change_id=change.pk, actor=people.leader, source=WEB)
    svc.change_start_review(change_id=change.pk, actor=people.leader, source=WEB,
                            cause_analysis="pool too small")  # fmt: skip
    with pytest.raises(DomainError, match="Summarise"):
        svc.change_close(change_id=change.pk, actor=people.leader, source=WEB)
    change = svc.change_close(change_id=change.pk, actor=people.leader, source=WEB,
                              summary="add load test")  # fmt: skip
    assert change.status == Status.CLOSED and change.reviewed_at is not None
    assert not Timer.objects.filter(state="armed").exists()


def test_an_emergency_change_needs_its_review_before_closing(people):
    change = change_in_state(
        "verifying",
        requester=people.requester,
        implementer=people.implementer,
        change_class="emergency",
    )
    with time_machine.travel("2026-09-23 10:00 +0900"):  # Wednesday before Chuseok
        change = svc.change_verify(change_id=change.pk, actor=people.implementer, source=WEB)
    # Two business days on the Korean calendar: Chuseok (24–26) and a weekend are skipped.
    assert (
        timezone.localtime(change.review_due_at, timezone.get_fixed_timezone(540))
        .date()
        .isoformat()
        == "2026-09-29"
    )
    with pytest.raises(DomainError, match="review is required"):
        svc.change_close(change_id=change.pk, actor=people.requester, source=WEB)
    svc.change_start_review(change_id=change.pk, actor=people.manager, source=WEB)
    change = svc.change_close(change_id=change.pk, actor=people.manager, source=WEB,
                              summary="ok")  # fmt: skip
    assert change.status == Status.CLOSED


def test_decisions_are_mailed_to_the_requester(people, django_capture_on_commit_callbacks):
    people.requester.email = "req@example.com"
    people.requester.save()
    change = change_in_state("awaiting_approval", requester=people.requester)
    with django_capture_on_commit_callbacks(execute=True):
        svc.change_reject(change_id=change.pk, actor=people.manager, source=WEB,
                          comment="too risky")  # fmt: skip
    assert [m.to for m in mail.outbox] == [["req@example.com"]]
    assert "Rejected" in mail.outbox[0].subject
