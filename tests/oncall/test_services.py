"""The writers: permissions, validation, history kept intact, audit events, notifications."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django_fsm import TransitionNotAllowed

from itsm import roles
from itsm.audit import Source
from itsm.errors import Conflict, DomainError
from itsm.models import AuditEvent, Membership
from oncall import selectors, services
from oncall.engine import zone
from oncall.models import Override, PersonalFeed, Rotation, Schedule
from tests.itsm.factories import TeamFactory

from .conftest import NOW
from .factories import OverrideFactory, RotationFactory, ScheduleFactory

pytestmark = pytest.mark.django_db
SEOUL, TOKYO, NY = zone("Asia/Seoul"), zone("Asia/Tokyo"), zone("America/New_York")
WEB = Source.WEB


def events(obj, action):
    return AuditEvent.objects.for_object(obj).filter(action=action)


# --- Schedules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (roles.MANAGER, True),
        (roles.ADMINISTRATOR, True),
        (roles.REQUESTER, False),
        (roles.ONCALL, False),
        (roles.OPS_LEADER, False),
    ],
)
def test_who_may_create_a_schedule(team, user_for, role, allowed):
    actor = user_for(role)
    if allowed:
        schedule = services.schedule_create(
            team=team, name="Primary", time_zone="Asia/Seoul", actor=actor, source=WEB
        )
        assert events(schedule, "schedule_created").get().actor == actor
    else:
        with pytest.raises(PermissionDenied):
            services.schedule_create(
                team=team, name="Primary", time_zone="Asia/Seoul", actor=actor, source=WEB
            )


def test_team_lead_edits_their_teams_schedule_but_not_others(schedule, make_user):
    lead = make_user(roles.OPS_LEADER)
    Membership.objects.create(team=schedule.team, user=lead, is_lead=True)
    services.schedule_update(schedule_id=schedule.pk, name="Renamed", actor=lead, source=WEB)
    other = ScheduleFactory()
    with pytest.raises(PermissionDenied):
        services.schedule_update(schedule_id=other.pk, name="No", actor=lead, source=WEB)


def test_one_schedule_per_team_and_level_and_known_zones_only(schedule, user_for):
    manager = user_for(roles.MANAGER)
    with pytest.raises(DomainError, match="already has a schedule for level 1"):
        services.schedule_create(
            team=schedule.team, name="Again", time_zone="UTC", actor=manager, source=WEB
        )
    with pytest.raises(DomainError, match="Unknown time zone"):
        services.schedule_create(
            team=schedule.team, name="X", level=2, time_zone="Mars/Base", actor=manager, source=WEB
        )
    with pytest.raises(DomainError):
        services.schedule_update(schedule_id=schedule.pk, ical_token="x", actor=manager, source=WEB)


def test_moving_a_schedule_to_another_zone_keeps_the_past_and_changes_the_future(
    team, members, user_for
):
    """Tokyo team moves to New York on 10 March: shifts before stay at 09:00 Tokyo,
    shifts after hand off at 09:00 New York."""
    schedule = ScheduleFactory(team=team, time_zone="Asia/Tokyo")
    rotation = RotationFactory(
        schedule=schedule, kind="daily", start_date=dt.date(2026, 3, 1), members=members
    )
    moved_at = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    with time_machine.travel(moved_at, tick=False):
        services.schedule_update(
            schedule_id=schedule.pk,
            time_zone="America/New_York",
            actor=user_for(roles.MANAGER),
            source=WEB,
        )
    rotation.refresh_from_db()
    successor = rotation.successor
    assert rotation.valid_until == moved_at and rotation.time_zone == "Asia/Tokyo"
    assert successor.valid_from == moved_at and successor.time_zone == "America/New_York"
    line = selectors.timelines(
        selectors.schedules().filter(pk=schedule.pk),
        dt.datetime(2026, 3, 8, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 14, tzinfo=dt.UTC),
    )[0]
    handoffs = [s.start for s in line.segments[1:]]
    before = [h for h in handoffs if h < moved_at]
    after = [h for h in handoffs if h > moved_at]
    assert {h.astimezone(TOKYO).hour for h in before} == {9}
    assert {h.astimezone(NY).hour for h in after} == {9}
    assert moved_at in handoffs  # the move itself is a hand-off (different phase in NY)


# --- Rotations -------------------------------------------------------------------------------


def rotation_data(people, **kw):
    return {
        "name": "Weekly",
        "kind": "weekly",
        "start_date": dt.date(2026, 2, 23),
        "handoff_time": dt.time(10),
        "members": people,
        **kw,
    }


def test_a_new_rotation_covers_from_now_with_the_phase_of_its_anchor(
    team, members, user_for, frozen
):
    schedule = ScheduleFactory(team=team)
    rotation = services.rotation_create(
        schedule_id=schedule.pk, actor=user_for(roles.MANAGER), source=WEB, **rotation_data(members)
    )
    assert rotation.valid_from == NOW and rotation.time_zone == "Asia/Seoul"
    assert rotation.ordered_members() == members
    # Anchor Monday 23 Feb 10:00: week of 2 March is the second → bob; nothing before now.
    assert selectors.on_call(team=team, at=NOW) == members[1]
    assert selectors.on_call(team=team, at=NOW - dt.timedelta(minutes=1)) is None
    assert events(rotation, "rotation_created").get().payload["members"] == [
        "alice",
        "bob",
        "carol",
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"members": []}, "at least one person"),
        ({"kind": "custom", "shift_length_hours": 0}, "custom shift"),
        ({"layer": 0}, "layer"),
        ({"restriction": "windows", "windows": []}, "days and hours"),
        (
            {
                "restriction": "windows",
                "windows": [{"days": [7], "start": "09:00", "end": "18:00"}],
            },
            "weekday",
        ),
        (
            {"restriction": "windows", "windows": [{"days": [1], "start": "9am", "end": "18:00"}]},
            "times like",
        ),
        ({"restriction": "bogus"}, "Unknown restriction"),
        ({"name": " "}, "name"),
    ],
)
def test_rotation_validation(schedule, members, user_for, changes, message):
    with pytest.raises(DomainError, match=message):
        services.rotation_create(
            schedule_id=schedule.pk,
            actor=user_for(roles.MANAGER),
            source=WEB,
            **rotation_data(members, **changes),
        )


def test_working_hours_need_a_team_calendar(members, user_for):
    schedule = ScheduleFactory(team=TeamFactory(calendar=None))
    with pytest.raises(DomainError, match="no business calendar"):
        services.rotation_create(
            schedule_id=schedule.pk,
            actor=user_for(roles.MANAGER),
            source=WEB,
            **rotation_data(members, restriction="business_hours"),
        )


def test_inactive_people_cannot_be_on_call(schedule, members, user_for):
    members[0].is_active = False
    members[0].save()
    with pytest.raises(DomainError, match="active"):
        services.rotation_create(
            schedule_id=schedule.pk,
            actor=user_for(roles.MANAGER),
            source=WEB,
            **rotation_data(members),
        )


def test_editing_a_started_rotation_ends_it_and_keeps_past_shifts(
    schedule, members, user_for, frozen
):
    alice, bob, carol = members
    rotation = schedule.rotations.get()
    successor = services.rotation_update(
        rotation_id=rotation.pk,
        members=[carol, bob, alice],
        actor=user_for(roles.MANAGER),
        source=WEB,
    )
    rotation.refresh_from_db()
    assert successor.pk != rotation.pk and successor.previous == rotation
    assert rotation.valid_until == NOW == successor.valid_from
    assert selectors.on_call(team=schedule.team, at=NOW - dt.timedelta(hours=1)) == bob
    assert selectors.on_call(team=schedule.team, at=NOW) == bob  # index 1 of the new order
    assert selectors.on_call(team=schedule.team, at=NOW + dt.timedelta(days=1)) == alice
    assert (
        selectors.on_call(team=schedule.team, at=dt.datetime(2026, 3, 1, 12, tzinfo=SEOUL)) == alice
    )
    with pytest.raises(Conflict):
        services.rotation_update(
            rotation_id=rotation.pk, name="x", actor=user_for(roles.MANAGER), source=WEB
        )


def test_renaming_or_saving_unchanged_does_not_split(schedule, members, user_for, frozen):
    rotation = schedule.rotations.get()
    manager = user_for(roles.MANAGER)
    same = services.rotation_update(
        rotation_id=rotation.pk, members=list(members), actor=manager, source=WEB
    )
    assert same.pk == rotation.pk and not events(rotation, "rotation_changed").exists()
    renamed = services.rotation_update(
        rotation_id=rotation.pk, name="Days", actor=manager, source=WEB
    )
    assert renamed.pk == rotation.pk and renamed.name == "Days" and renamed.valid_until is None


def test_editing_a_rotation_that_has_not_started_changes_it_in_place(
    schedule, members, user_for, frozen
):
    rotation = services.rotation_create(
        schedule_id=schedule.pk,
        actor=user_for(roles.MANAGER),
        source=WEB,
        **rotation_data(members, start_date=dt.date(2026, 4, 6)),
    )
    changed = services.rotation_update(
        rotation_id=rotation.pk, kind="daily", actor=user_for(roles.MANAGER), source=WEB
    )
    assert (
        changed.pk == rotation.pk and changed.kind == "daily" and changed.shift_length_hours == 24
    )


def test_ending_a_rotation(schedule, members, user_for, frozen):
    manager = user_for(roles.MANAGER)
    future = services.rotation_create(
        schedule_id=schedule.pk,
        actor=manager,
        source=WEB,
        **rotation_data(members, start_date=dt.date(2026, 4, 6)),
    )
    assert services.rotation_end(rotation_id=future.pk, actor=manager, source=WEB) is None
    assert not Rotation.objects.filter(pk=future.pk).exists()
    started = schedule.rotations.get()
    ended = services.rotation_end(rotation_id=started.pk, actor=manager, source=WEB)
    assert ended.valid_until == NOW
    assert selectors.on_call(team=schedule.team, at=NOW) is None
    with pytest.raises(Conflict):
        services.rotation_end(rotation_id=started.pk, actor=manager, source=WEB)
    with pytest.raises(PermissionDenied):
        services.rotation_end(rotation_id=started.pk, actor=user_for(roles.REQUESTER), source=WEB)


# --- Overrides: who may do what ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "for_whom", "allowed"),
    [
        ("member", "self", True),
        ("member", "other", False),
        ("outsider", "self", False),
        ("manager", "self", True),
        ("manager", "other", True),
        ("admin", "other", True),
        ("lead", "other", True),
        ("lead", "self", True),
    ],
)
def test_override_permissions(schedule, members, make_user, frozen, who, for_whom, allowed):
    actors = {
        "member": members[0],
        "outsider": make_user(roles.REQUESTER),
        "manager": make_user(roles.MANAGER),
        "admin": make_user(roles.ADMINISTRATOR),
        "lead": make_user(roles.OPS_LEADER),
    }
    Membership.objects.create(team=schedule.team, user=actors["lead"], is_lead=True)
    actor = actors[who]
    user = actor if for_whom == "self" else members[2]
    call = lambda: services.override_create(  # noqa: E731
        schedule_id=schedule.pk,
        user=user,
        start=NOW,
        end=NOW + dt.timedelta(hours=3),
        actor=actor,
        source=WEB,
    )
    if allowed:
        override = call()
        assert selectors.on_call(team=schedule.team, at=NOW) == user
        assert events(override, "override_created").get().actor == actor
    else:
        with pytest.raises(PermissionDenied):
            call()
        assert not Override.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (NOW, NOW, "after the start"),
        (NOW - dt.timedelta(hours=3), NOW - dt.timedelta(hours=1), "already over"),
        (NOW, NOW + dt.timedelta(days=400), "at most a year"),
    ],
)
def test_override_periods_are_checked(schedule, members, frozen, start, end, message):
    with pytest.raises(DomainError, match=message):
        services.override_create(
            schedule_id=schedule.pk,
            user=members[0],
            start=start,
            end=end,
            actor=members[0],
            source=WEB,
        )


def test_an_override_never_rewrites_the_past(schedule, members, frozen):
    override = services.override_create(
        schedule_id=schedule.pk,
        user=members[0],
        start=NOW - dt.timedelta(hours=5),
        end=NOW + dt.timedelta(hours=1),
        actor=members[0],
        source=WEB,
    )
    assert override.start == NOW
    assert selectors.on_call(team=schedule.team, at=NOW - dt.timedelta(hours=1)) == members[1]


def test_two_people_cannot_take_the_same_period_but_a_swap_can_overlap(schedule, members, frozen):
    alice, bob, carol = members
    services.override_create(
        schedule_id=schedule.pk,
        user=alice,
        start=NOW,
        end=NOW + dt.timedelta(hours=4),
        actor=alice,
        source=WEB,
    )
    with pytest.raises(Conflict, match="Alice already covers"):
        services.override_create(
            schedule_id=schedule.pk,
            user=carol,
            start=NOW + dt.timedelta(hours=2),
            end=NOW + dt.timedelta(hours=6),
            actor=carol,
            source=WEB,
        )
    swap = services.override_create(
        schedule_id=schedule.pk,
        user=carol,
        replaces=bob,
        start=NOW,
        end=NOW + dt.timedelta(days=1),
        actor=carol,
        source=WEB,
    )
    assert swap.is_swap
    assert selectors.on_call(team=schedule.team, at=NOW + dt.timedelta(hours=1)) == alice
    assert selectors.on_call(team=schedule.team, at=NOW + dt.timedelta(hours=5)) == carol
    with pytest.raises(DomainError, match="own shift"):
        services.override_create(
            schedule_id=schedule.pk,
            user=bob,
            replaces=bob,
            start=NOW,
            end=NOW + dt.timedelta(hours=1),
            actor=bob,
            source=WEB,
        )


def test_assigning_someone_else_notifies_them_by_mail(
    schedule, members, user_for, frozen, django_capture_on_commit_callbacks
):
    manager = user_for(roles.MANAGER)
    with django_capture_on_commit_callbacks(execute=True):
        services.override_create(
            schedule_id=schedule.pk,
            user=members[2],
            replaces=members[1],
            start=NOW,
            end=NOW + dt.timedelta(hours=2),
            reason="Bob is ill",
            actor=manager,
            source=WEB,
        )
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.com", "carol@example.com"]
    assert "Bob is ill" in mail.outbox[0].body


def test_taking_a_shift_yourself_sends_no_mail(
    schedule, members, frozen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.take_over(
            team=schedule.team, user=members[0], start=None, end=None, actor=members[0], source=WEB
        )
    assert mail.outbox == []


# --- Cancelling: state x actor -------------------------------------------------------------------


@pytest.mark.parametrize("state", ["active", "cancelled"])
@pytest.mark.parametrize(
    ("actor_kind", "allowed"),
    [
        ("holder", True),
        ("creator", True),
        ("manager", True),
        ("member", False),
        ("outsider", False),
    ],
)
def test_cancel_matrix(schedule, members, make_user, frozen, state, actor_kind, allowed):
    alice, bob, carol = members
    creator = make_user(roles.MANAGER, username="creator")
    override = OverrideFactory(
        schedule=schedule,
        user=alice,
        created_by=creator,
        start=NOW,
        end=NOW + dt.timedelta(hours=5),
    )
    if state == "cancelled":
        override.cancel(at=NOW)
        override.save()
    actor = {
        "holder": alice,
        "creator": creator,
        "manager": make_user(roles.MANAGER),
        "member": carol,
        "outsider": make_user(roles.REQUESTER),
    }[actor_kind]
    call = lambda: services.override_cancel(override_id=override.pk, actor=actor, source=WEB)  # noqa: E731
    if not allowed:
        with pytest.raises(PermissionDenied):
            call()
    elif state == "cancelled":
        with pytest.raises(TransitionNotAllowed):
            call()
    else:
        with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
            cancelled = call()
        assert cancelled.status == "cancelled"
        assert cancelled.effective_end == NOW + dt.timedelta(hours=1)
        assert events(cancelled, "override_cancelled").get().from_state == "active"


def test_an_override_that_is_over_cannot_be_cancelled(schedule, members):
    override = OverrideFactory(
        schedule=schedule,
        user=members[0],
        start=NOW - dt.timedelta(hours=3),
        end=NOW - dt.timedelta(hours=1),
    )
    with time_machine.travel(NOW, tick=False), pytest.raises(Conflict):
        services.override_cancel(override_id=override.pk, actor=None, source=WEB)


# --- "I'll take it" ------------------------------------------------------------------------------


def test_take_over_lasts_until_the_next_handoff_and_is_idempotent(schedule, members, frozen):
    alice = members[0]
    first = services.take_over(
        team=schedule.team, user=alice, start=None, end=None, actor=alice, source=WEB
    )
    assert (first.start, first.end) == (NOW, dt.datetime(2026, 3, 3, 9, tzinfo=SEOUL))
    assert first.reason == "Taken over" and first.created_by == alice
    again = services.take_over(
        team="platform", user=alice, start=None, end=None, actor=alice, source=WEB
    )
    assert again.pk == first.pk and Override.objects.count() == 1
    assert selectors.on_call(team=schedule.team, at=NOW) == alice


def test_take_over_is_refused_when_someone_else_took_it(schedule, members, frozen):
    alice, bob, carol = members
    services.take_over(
        team=schedule.team, user=alice, start=None, end=None, actor=alice, source=WEB
    )
    with pytest.raises(Conflict, match="Alice already covers"):
        services.take_over(
            team=schedule.team, user=carol, start=None, end=None, actor=carol, source=WEB
        )


def test_take_over_without_a_schedule_or_by_an_outsider(team, members, make_user, frozen):
    with pytest.raises(DomainError, match="no on-call schedule"):
        services.take_over(
            team=team, user=members[0], start=None, end=None, actor=members[0], source=WEB
        )
    ScheduleFactory(team=team)
    outsider = make_user(roles.REQUESTER)
    with pytest.raises(PermissionDenied):
        services.take_over(
            team=team, user=outsider, start=None, end=None, actor=outsider, source=WEB
        )
    with pytest.raises(DomainError, match="Unknown team"):
        services.take_over(
            team="nope", user=outsider, start=None, end=None, actor=outsider, source=WEB
        )


def test_take_over_in_a_gap_lasts_a_day_at_most(team, members, frozen):
    ScheduleFactory(team=team)
    override = services.take_over(
        team=team, user=members[0], start=None, end=None, actor=members[0], source=WEB
    )
    assert override.end == NOW + dt.timedelta(days=1)


# --- Calendar addresses --------------------------------------------------------------------------


def test_rotating_calendar_tokens(schedule, members, user_for):
    alice = members[0]
    old = selectors.feed_of(alice).token
    new = services.feed_rotate(user=alice, actor=alice, source=WEB).token
    assert new != old and PersonalFeed.objects.get(user=alice).token == new
    with pytest.raises(PermissionDenied):
        services.feed_rotate(user=alice, actor=members[1], source=WEB)
    old_schedule_token = schedule.ical_token
    services.schedule_rotate_token(
        schedule_id=schedule.pk, actor=user_for(roles.MANAGER), source=WEB
    )
    assert Schedule.objects.get(pk=schedule.pk).ical_token != old_schedule_token
    with pytest.raises(PermissionDenied):
        services.schedule_rotate_token(schedule_id=schedule.pk, actor=alice, source=WEB)


def test_seed_demo_gives_each_demo_team_a_schedule_once(members, make_user):
    from django.apps import apps

    from itsm.models import BusinessCalendar

    tokyo = TeamFactory(slug="tokyo", calendar=BusinessCalendar.objects.get(country="JP"))
    Membership.objects.create(team=tokyo, user=make_user(username="kenji"))
    config = apps.get_app_config("oncall")
    config.seed_demo()
    config.seed_demo()
    platform = Schedule.objects.get(team__slug="platform")
    assert platform.rotations.count() == 2  # around the clock + working hours
    assert Schedule.objects.get(team=tokyo).time_zone == "Asia/Tokyo"
    assert Schedule.objects.count() == 2
    assert selectors.on_call(team="platform") is not None
