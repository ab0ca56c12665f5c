"""Triage, priority, assignment, links and notifications through the services."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from incidents import services
from incidents.models import (
    Impact,
    Incident,
    Notification,
    PriorityMatrixCell,
    PriorityPolicy,
    Status,
    impact_of,
)
from itsm.errors import Conflict, DomainError
from itsm.models import AuditEvent

from .factories import SYSTEM, drive, report

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("scope", "business", "impact"),
    [
        ("all_users", "minor", Impact.HIGH),
        ("one_function", "revenue_loss", Impact.HIGH),
        ("some_users", "minor", Impact.MEDIUM),
        ("one_function", "loss_of_trust", Impact.MEDIUM),
        ("one_function", "minor", Impact.LOW),
    ],
)
def test_impact_is_the_more_severe_of_scope_and_business_impact(scope, business, impact):
    assert impact_of(scope, business) == impact


def test_defaults_come_from_the_data_migration(db):
    matrix = {(c.impact, c.urgency): c.priority for c in PriorityMatrixCell.objects.all()}
    assert matrix == {
        ("high", "immediate"): "P1", ("high", "planned"): "P2",
        ("medium", "immediate"): "P2", ("medium", "planned"): "P3",
        ("low", "immediate"): "P3", ("low", "planned"): "P4",
    }  # fmt: skip
    policies = {
        p.priority: (p.response_label, p.resolution_label, p.postmortem_required)
        for p in PriorityPolicy.objects.all()
    }
    assert policies == {
        "P1": ("15 minutes", "4 hours", True),
        "P2": ("30 minutes", "8 hours", True),
        "P3": ("2 hours", "3 business days", False),
        "P4": ("1 business days", "10 business days", False),
    }


def test_the_matrix_is_data_an_administrator_edits(world):
    PriorityMatrixCell.objects.filter(impact="low", urgency="planned").update(priority="P3")
    assert report(world, priority="P4").priority == "P3"


def test_report_records_who_and_fills_affected_services_from_dependencies(world):
    from tests.itsm.factories import ServiceFactory

    shop = ServiceFactory(slug="web-shop", owner_team=world.team)
    shop.depends_on.add(world.always)
    incident = report(world, priority="P2")
    assert set(incident.affected_services.values_list("slug", flat=True)) == {
        "payments-api",
        "web-shop",
    }
    event = AuditEvent.objects.for_object(incident).get(action="reported")
    assert event.actor == world.user("reporter") and event.to_state == "detected"
    assert incident.team == world.team and incident.status == Status.DETECTED


def test_triage_recomputes_the_priority_and_retargets(world):
    incident = report(world, priority="P4")
    triaged = services.incident_triage(
        incident_id=incident.pk, actor=world.user("oncall"), source=SYSTEM,
        scope="all_users", business_impact="revenue_loss", urgency="immediate",
        assignee=world.user("developer"),
    )  # fmt: skip
    assert (triaged.status, triaged.priority, triaged.impact) == ("triaged", "P1", "high")
    assert triaged.assignee == world.user("developer")
    assert Notification.objects.filter(
        incident=incident, kind="assigned", recipient=world.user("developer")
    ).exists()
    assert triaged.response_due_at == triaged.detected_at + __import__("datetime").timedelta(
        minutes=15
    )


def test_assignee_must_belong_to_the_team(world):
    with pytest.raises(DomainError):
        services.incident_assign(
            incident_id=report(world).pk, actor=world.user("oncall"), source=SYSTEM,
            team=world.other_team, assignee=world.user("developer"),
        )  # fmt: skip


def test_priority_override_needs_a_reason_and_the_permission(world):
    incident = report(world, priority="P3")
    with pytest.raises(PermissionDenied):
        services.incident_override_priority(
            incident_id=incident.pk,
            actor=world.user("oncall"),
            source=SYSTEM,
            priority="P1",
            reason="x",
        )
    with pytest.raises(DomainError):
        services.incident_override_priority(
            incident_id=incident.pk,
            actor=world.user("ops_leader"),
            source=SYSTEM,
            priority="P1",
            reason="",
        )
    services.incident_override_priority(
        incident_id=incident.pk,
        actor=world.user("ops_leader"),
        source=SYSTEM,
        priority="P2",
        reason="VIP",
    )
    event = AuditEvent.objects.for_object(incident).get(action="priority overridden")
    assert event.message == "VIP" and event.payload == {"from": "P3", "to": "P2", "matrix": "P3"}


def test_recover_requires_a_summary_and_opens_a_required_postmortem(world):
    incident = drive(world, report(world, priority="P2"), Status.ACKNOWLEDGED)
    with pytest.raises(DomainError):
        services.incident_recover(
            incident_id=incident.pk, actor=world.user("oncall"), source=SYSTEM, summary=""
        )
    services.incident_recover(
        incident_id=incident.pk, actor=world.user("oncall"), source=SYSTEM, summary="ok"
    )
    incident.refresh_from_db()
    assert incident.postmortem.status == "draft"
    assert Notification.objects.filter(
        incident=incident, recipient=world.user("reporter"), kind="status"
    ).exists()


def test_merge_moves_services_and_closes_the_duplicate(world):
    original = report(world, priority="P2")
    duplicate = report(world, priority="P2", service=world.office, affected_services=[world.office])
    services.incident_merge(
        incident_id=duplicate.pk, into_id=original.pk, actor=world.user("oncall"), source=SYSTEM
    )
    duplicate.refresh_from_db()
    assert duplicate.status == Status.MERGED and duplicate.duplicate_of == original
    assert world.office in original.affected_services.all()
    assert all(clock.is_stopped for clock in duplicate.clocks.all())
    with pytest.raises(DomainError):
        services.incident_merge(
            incident_id=original.pk, into_id=original.pk, actor=world.user("oncall"), source=SYSTEM
        )


def test_merging_into_a_finished_incident_is_refused(world):
    closed = drive(world, report(world, priority="P4"), Status.CLOSED)
    other = report(world, priority="P4")
    with pytest.raises(Conflict):
        services.incident_merge(
            incident_id=other.pk, into_id=closed.pk, actor=world.user("oncall"), source=SYSTEM
        )


def test_parent_links_refuse_cycles(world):
    a, b, c = (report(world) for _ in range(3))
    oncall = world.user("oncall")
    services.incident_set_parent(incident_id=b.pk, parent_id=a.pk, actor=oncall, source=SYSTEM)
    services.incident_set_parent(incident_id=c.pk, parent_id=b.pk, actor=oncall, source=SYSTEM)
    with pytest.raises(DomainError):
        services.incident_set_parent(incident_id=a.pk, parent_id=c.pk, actor=oncall, source=SYSTEM)
    assert list(a.children.all()) == [b]
    services.incident_set_parent(incident_id=c.pk, parent_id=None, actor=oncall, source=SYSTEM)
    c.refresh_from_db()
    assert c.parent is None


def test_caused_by_change_is_linked_with_a_reason(world):
    from incidents.selectors import incidents_caused_by_change

    incident = report(world)
    with pytest.raises(DomainError):
        services.incident_link_change(
            incident_id=incident.pk, change_id=7, actor=world.user("oncall"), source=SYSTEM
        )
    services.incident_link_change(
        incident_id=incident.pk,
        change_id=7,
        actor=world.user("oncall"),
        source=SYSTEM,
        reason="deployed at 14:02",
    )
    assert list(incidents_caused_by_change(7)) == [Incident.objects.get(pk=incident.pk)]


def test_notifications_are_emailed_after_commit_only(world, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        incident = report(world, priority="P1")
    assert [m.to for m in mail.outbox] == [["oncall@example.com"]]
    note = Notification.objects.get(incident=incident, kind="escalated")
    assert note.emailed_at is not None and note.email == "oncall@example.com"
    from incidents.tasks import send_notification_emails

    assert send_notification_emails([note.pk]) == 0  # a re-delivery sends nothing twice
    assert len(mail.outbox) == 1


def test_a_rolled_back_report_leaves_no_notification(world, django_capture_on_commit_callbacks):
    from django.db import transaction

    mail.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        report(world, priority="P1")
        raise RuntimeError
    assert not Notification.objects.exists() and mail.outbox == []


def test_only_administrators_delete_and_the_trail_stays(world):
    incident = report(world)
    with pytest.raises(PermissionDenied):
        services.incident_delete(
            incident_id=incident.pk, actor=world.user("ops_leader"), source=SYSTEM
        )
    services.incident_delete(incident_id=incident.pk, actor=world.user("admin"), source=SYSTEM)
    assert not Incident.objects.filter(pk=incident.pk).exists()
    assert AuditEvent.objects.filter(object_id=str(incident.pk), action="deleted").exists()


def test_editing_refuses_impact_after_detection_and_unknown_fields(world):
    incident = report(world)
    oncall = world.user("oncall")
    with pytest.raises(DomainError):
        services.incident_update(
            incident_id=incident.pk, actor=oncall, source=SYSTEM,
            impact_started_at=incident.detected_at + __import__("datetime").timedelta(minutes=1),
        )  # fmt: skip
    with pytest.raises(DomainError):
        services.incident_update(
            incident_id=incident.pk, actor=oncall, source=SYSTEM, priority="P1"
        )
