"""E-mail about portal events: per-user preferences, who receives what, the language."""

import pytest
from django.core import mail

from incidents import services as incident_services
from integrations import services
from integrations.events import EventType
from integrations.models import EmailNotification, EmailSubscription
from integrations.tasks import send_event_emails
from itsm.errors import DomainError
from tests.itsm.factories import UserFactory

from .factories import SYSTEM

pytestmark = pytest.mark.django_db
CREATED = EventType.INCIDENT_CREATED


def report(world, actor=None):
    return incident_services.incident_report(
        actor=actor or world["users"]["requester"],
        source=SYSTEM,
        title="Checkout fails",
        service=world["payments"],
        scope="all_users",
        business_impact="revenue_loss",
        urgency="immediate",
    )


def event_mails(user):
    return [m for m in mail.outbox if m.to == [user.email] and m.subject.startswith("[ITSM]")]


def test_preferences_are_saved_and_replaced(world):
    user = world["users"]["oncall"]
    services.preferences_update(
        user=user, language="ja", scope="all", event_types=[CREATED, EventType.CHANGE_APPROVED]
    )
    services.preferences_update(user=user, language="ja", scope="all", event_types=[CREATED])
    pref, events = services.preferences_for(user)
    assert (pref.language, pref.scope, events) == ("ja", "all", {CREATED})
    assert EmailSubscription.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("event_types", {"event_types": ["incident.exploded"]}),
        ("language", {"language": "fr"}),
        ("scope", {"scope": "planet"}),
    ],
)
def test_bad_preferences_are_refused(world, field, kwargs):
    with pytest.raises(DomainError) as exc:
        services.preferences_update(user=world["users"]["oncall"], **kwargs)
    assert exc.value.field == field


def test_team_members_who_asked_get_one_email_after_commit(
    world, django_capture_on_commit_callbacks
):
    oncall, leader, manager = (world["users"][n] for n in ("oncall", "ops_leader", "ops_manager"))
    services.preferences_update(user=oncall, event_types=[CREATED])  # teams scope, member
    services.preferences_update(user=manager, event_types=[CREATED])  # teams scope, not member
    with django_capture_on_commit_callbacks(execute=True):
        incident = report(world)
    [message] = event_mails(oncall)
    assert incident.reference in message.subject
    assert "Payments API" in message.body and incident.get_absolute_url() in message.body
    assert message.alternatives and "<strong>" in message.alternatives[0][0]
    assert event_mails(manager) == [] and event_mails(leader) == []
    note = EmailNotification.objects.get()
    assert note.sent_at is not None
    # A re-delivered task sends nothing twice.
    assert send_event_emails([note.pk]) == 0


def test_the_all_scope_needs_the_view_permission(world, django_capture_on_commit_callbacks):
    manager = world["users"]["ops_manager"]
    nobody = UserFactory(username="no-role")
    for user in (manager, nobody):
        services.preferences_update(user=user, scope="all", event_types=[CREATED])
    with django_capture_on_commit_callbacks(execute=True):
        report(world)
    assert len(event_mails(manager)) == 1
    assert event_mails(nobody) == []


def test_nobody_is_told_about_what_they_did_themselves(world, django_capture_on_commit_callbacks):
    oncall = world["users"]["oncall"]
    services.preferences_update(user=oncall, event_types=[CREATED])
    with django_capture_on_commit_callbacks(execute=True):
        report(world, actor=oncall)
    assert event_mails(oncall) == []


def test_the_email_comes_in_the_chosen_language(world, django_capture_on_commit_callbacks):
    oncall = world["users"]["oncall"]
    services.preferences_update(user=oncall, language="ko", event_types=[CREATED])
    with django_capture_on_commit_callbacks(execute=True):
        report(world)
    [message] = event_mails(oncall)
    assert "서비스: Payments API" in message.body
    assert EmailNotification.objects.get().language == "ko"


def test_without_preferences_the_portal_language_is_used(world):
    oncall = world["users"]["oncall"]
    oncall.language = "ja"
    oncall.save()
    EmailSubscription.objects.create(user=oncall, event_type=CREATED)
    report(world)
    assert EmailNotification.objects.get().language == "ja"
