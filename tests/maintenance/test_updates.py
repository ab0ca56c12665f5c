"""Pending updates: analysis (affected services, class), the right window, notification."""

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django_fsm import TransitionNotAllowed

from changes.models import Change
from itsm import roles
from itsm.audit import Source
from itsm.errors import Conflict, DomainError
from itsm.models import Service
from maintenance import integration, services
from maintenance.integration import ClassRules, WindowSlot
from maintenance.jobs import FAILED, SUCCEEDED, JobContext, perform
from maintenance.models import JobKind, PendingUpdate
from maintenance.windows import choose_window, earliest_start
from tests.changes.factories import FreezeFactory, WindowFactory
from tests.itsm.factories import ServiceFactory, TeamFactory

from .factories import UpdateFactory

pytestmark = pytest.mark.django_db
# Monday 2026-05-11 02:00 UTC: the weekly review's hour.
MONDAY = datetime(2026, 5, 11, 2, 0, tzinfo=UTC)


def sunday_windows(weeks=4, services=frozenset()):
    """Sunday 01:00-05:00 UTC windows from the 17th on, plus a Tuesday one covering services."""
    first = datetime(2026, 5, 17, 1, 0, tzinfo=UTC)
    slots = [
        WindowSlot(
            first + timedelta(weeks=n), first + timedelta(weeks=n, hours=4), "Sunday", services, 1
        )
        for n in range(weeks)
    ]
    return slots


@pytest.fixture
def catalogue():
    team = TeamFactory(email="platform@example.com")
    db = ServiceFactory(
        name="DB", slug="db", owner_team=team, criticality=Service.Criticality.CRITICAL
    )
    api = ServiceFactory(name="API", slug="api", owner_team=team, criticality=2)
    web = ServiceFactory(name="Web", slug="web", owner_team=TeamFactory(), criticality=3)
    wiki = ServiceFactory(name="Wiki", slug="wiki", owner_team=team, criticality=4)
    api.depends_on.add(db)
    web.depends_on.add(api)
    return {"db": db, "api": api, "web": web, "wiki": wiki, "team": team}


# --- analysis ---------------------------------------------------------------------------


def test_affected_services_follow_dependencies_upwards(catalogue):
    update = UpdateFactory(services=[catalogue["db"]])
    result = services.analyse(update)
    assert [s.slug for s in result.affected] == ["db", "api", "web"]  # by criticality


@pytest.mark.parametrize(
    ("kind", "severity", "service", "expected"),
    [
        ("security", 1, "wiki", "emergency"),
        ("security", 2, "db", "standard"),  # a routine security patch, even on a critical service
        ("major", 4, "wiki", "major"),
        ("feature", 3, "wiki", "normal"),
        ("bugfix", 3, "db", "normal"),  # touches a critical service
        ("bugfix", 3, "wiki", "standard"),
    ],
)
def test_change_class_suggestion(catalogue, kind, severity, service, expected):
    update = UpdateFactory(kind=kind, severity=severity, services=[catalogue[service]])
    assert services.analyse(update).change_class == expected


def test_analysis_records_the_result_and_moves_to_analysed(catalogue):
    update = UpdateFactory(services=[catalogue["api"]])
    update = services.update_analyse(update_id=update.pk)
    assert update.status == "analysed" and update.suggested_class == "standard"
    assert {s.slug for s in update.affected_services.all()} == {"api", "web"}
    assert "Affects 2 services" in update.analysis


# --- window choice (pure) ---------------------------------------------------------------

STANDARD, NORMAL = ClassRules(0, False), ClassRules(3, False)


def test_security_goes_to_the_earliest_window_others_wait_for_notice():
    slots = sunday_windows()
    security = earliest_start(now=MONDAY, rules=STANDARD, security=True, notice_days=7)
    routine = earliest_start(now=MONDAY, rules=STANDARD, security=False, notice_days=7)
    assert choose_window(slots, [], service_ids=set(), earliest=security) == slots[0]
    assert choose_window(slots, [], service_ids=set(), earliest=routine) == slots[1]


def test_a_normal_change_waits_three_business_days_on_the_teams_calendar():
    # Thursday 18:00 UTC is Friday 03:00 in Seoul: three Korean business days → Wednesday.
    thursday = datetime(2026, 5, 14, 18, 0, tzinfo=UTC)
    earliest = earliest_start(now=thursday, rules=NORMAL, security=False, notice_days=0)
    assert earliest.date().isoformat() == "2026-05-19"
    slots = sunday_windows()
    assert choose_window(slots, [], service_ids=set(), earliest=earliest) == slots[1]


def test_windows_that_do_not_cover_the_services_are_skipped():
    tuesday = MONDAY + timedelta(days=1)
    narrow = WindowSlot(tuesday, tuesday + timedelta(hours=2), "DB only", frozenset({1}), 2)
    wide = sunday_windows(1)[0]
    assert choose_window([narrow, wide], [], service_ids={1, 2}, earliest=MONDAY) == wide
    assert choose_window([narrow, wide], [], service_ids={1}, earliest=MONDAY) == narrow
    assert (
        choose_window([narrow, wide], [], service_ids=set(), earliest=MONDAY, window_id=1) == wide
    )


def test_freeze_periods_are_avoided_unless_the_class_is_exempt():
    slots = sunday_windows(2)
    start = slots[0].start - timedelta(days=1)
    freeze = WindowSlot(start, slots[0].end, "Release freeze", frozenset({5}), 9)
    choose = partial(choose_window, slots, [freeze], earliest=MONDAY)
    assert choose(service_ids={5}) == slots[1]
    assert choose(service_ids={6}) == slots[0]
    assert choose(service_ids={6}, impacted_ids={5}) == slots[1]  # impacted services count
    assert choose(service_ids={5}, freeze_exempt=True) == slots[0]


def test_no_window_at_all_is_none():
    assert choose_window([], [], service_ids=set(), earliest=MONDAY) is None


# --- the weekly job, with the real change calendar and change services ---------------------


@pytest.fixture
def sunday_window(catalogue):
    """The changes app's weekly Sunday 01:00-05:00 UTC window, every service."""
    return WindowFactory(
        name="Sunday early morning",
        start=datetime(2026, 5, 3, 1, 0, tzinfo=UTC),
        end=datetime(2026, 5, 3, 5, 0, tzinfo=UTC),
        recurrence="weekly",
    )


def weekly(now=MONDAY, **parameters):
    context = JobContext(None, JobKind.PENDING_UPDATES, "weekly", parameters, now)
    with time_machine.travel(now, tick=False):
        return perform(context)


def test_the_weekly_job_puts_each_update_into_the_right_window(
    catalogue, sunday_window, run_on_commit
):
    routine = UpdateFactory(component="libxml", services=[catalogue["wiki"]])
    patch = UpdateFactory(
        component="openssl", kind="security", severity=2, services=[catalogue["api"]]
    )
    outcome = run_on_commit(weekly, notice_days=7)
    assert outcome.status == SUCCEEDED, outcome.output
    patch, routine = (PendingUpdate.objects.get(pk=u.pk) for u in (patch, routine))
    first, second = sunday_windows()[:2]
    # The security patch takes the earliest Sunday; the routine one waits a week of notice.
    assert (patch.status, patch.window_start, patch.window_end) == (
        "scheduled",
        first.start,
        first.end,
    )
    assert (routine.status, routine.window_start) == ("scheduled", second.start)
    change = Change.objects.get(pk=patch.change_id)
    assert patch.change_reference == change.reference
    assert (change.planned_start, change.planned_end) == (first.start, first.end)
    assert change.change_class == "standard" and change.status != "draft"  # submitted
    assert change.owner_team == catalogue["team"]
    assert change.requester.username == "maintenance"
    assert {s.slug for s in change.services.all()} == {"api"}
    assert "openssl" in change.title
    # Stakeholders: the owning teams of the affected services (API and Web).
    recipients = {address for message in mail.outbox for address in message.to}
    assert "platform@example.com" in recipients


def test_a_critical_security_patch_is_an_emergency_change_even_in_a_freeze(
    catalogue, sunday_window
):
    first = sunday_windows()[0]
    FreezeFactory(start=first.start - timedelta(hours=1), end=first.end + timedelta(hours=1))
    patch = UpdateFactory(kind="security", severity=1, services=[catalogue["db"]])
    routine = UpdateFactory(kind="bugfix", severity=4, services=[catalogue["wiki"]])
    outcome = weekly(notice_days=0)
    assert outcome.status == SUCCEEDED, outcome.output
    patch, routine = (PendingUpdate.objects.get(pk=u.pk) for u in (patch, routine))
    assert patch.suggested_class == "emergency" and patch.window_start == first.start
    assert Change.objects.get(pk=patch.change_id).status == "awaiting_approval"
    assert routine.window_start == sunday_windows()[1].start  # the freeze is respected


def test_a_normal_change_is_scheduled_after_its_lead_time(catalogue, sunday_window):
    # Thursday 14 May: three business days on the team's Korean calendar reach Tuesday 19th,
    # so Sunday 17th is too early and the change goes to Sunday 24th.
    update = UpdateFactory(kind="feature", services=[catalogue["wiki"]])
    thursday = datetime(2026, 5, 14, 9, 0, tzinfo=UTC)
    assert weekly(now=thursday, notice_days=0).status == SUCCEEDED
    update = PendingUpdate.objects.get(pk=update.pk)
    assert update.suggested_class == "normal"
    assert update.window_start == datetime(2026, 5, 24, 1, 0, tzinfo=UTC)


def test_an_update_without_a_suitable_window_stays_analysed_and_the_run_warns(catalogue):
    update = UpdateFactory(services=[catalogue["wiki"]])
    outcome = weekly()
    assert outcome.status == "warning" and "No maintenance window" in outcome.output
    assert PendingUpdate.objects.get(pk=update.pk).status == "analysed"


def test_without_a_change_calendar_the_weekly_job_fails_and_says_why(catalogue, monkeypatch):
    def unavailable(**kwargs):
        raise DomainError("The change calendar is not available.")

    monkeypatch.setattr(integration, "maintenance_windows", unavailable)
    update = UpdateFactory(services=[catalogue["wiki"]])
    outcome = weekly()
    assert outcome.status == FAILED and "change calendar is not available" in outcome.output
    assert PendingUpdate.objects.get(pk=update.pk).status == "analysed"


def test_nothing_pending_is_a_quiet_success():
    assert weekly().status == SUCCEEDED


# --- register, edit, dismiss, apply: rules at the service --------------------------------


def test_registering_twice_is_refused_while_the_first_is_open(user_for):
    ops = user_for(roles.OPS_LEADER)
    services.update_register(actor=ops, source=Source.API, component="nginx", version="1.27.1")
    with pytest.raises(DomainError):
        services.update_register(actor=ops, source=Source.API, component="NGINX", version="1.27.1")


def test_a_requester_cannot_register_updates(user_for):
    with pytest.raises(PermissionDenied):
        services.update_register(
            actor=user_for(roles.REQUESTER), source=Source.WEB, component="x", version="1"
        )


def test_dismissing_needs_a_reason(user_for):
    update = UpdateFactory()
    with pytest.raises(DomainError):
        services.update_dismiss(
            update_id=update.pk, actor=user_for(roles.OPS_MANAGER), source="web", note=" "
        )


def test_a_scheduled_update_cannot_be_edited(user_for, catalogue, sunday_window):
    update = UpdateFactory(services=[catalogue["wiki"]])
    weekly(notice_days=0)
    with pytest.raises(Conflict):
        services.update_edit(
            update_id=update.pk, actor=user_for(roles.OPS_LEADER), source="web", notes="x"
        )


STATES = ["registered", "analysed", "scheduled", "applied", "dismissed"]
ALLOWED = {
    "dismiss": {"registered", "analysed", "scheduled"},
    "apply": {"scheduled"},
}


def update_in(state):
    update = UpdateFactory()
    PendingUpdate.objects.filter(pk=update.pk).update(status=state)
    return PendingUpdate.objects.get(pk=update.pk)


def call(action, update, user):
    if action == "dismiss":
        return services.update_dismiss(
            update_id=update.pk, actor=user, source="web", note="superseded"
        )
    return services.update_mark_applied(update_id=update.pk, actor=user, source="web")


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ["dismiss", "apply"])
@pytest.mark.parametrize("role", [roles.OPS_MANAGER, roles.ONCALL, roles.REQUESTER])
def test_transition_matrix_through_the_service(user_for, state, action, role):
    update = update_in(state)
    user = user_for(role)
    may_manage = role == roles.OPS_MANAGER
    if not may_manage:
        with pytest.raises(PermissionDenied):
            call(action, update, user)
    elif state in ALLOWED[action]:
        assert call(action, update, user).status == (
            "dismissed" if action == "dismiss" else "applied"
        )
    else:
        with pytest.raises(TransitionNotAllowed):
            call(action, update, user)
