"""Pages: rendering, permissions, flash messages, query budgets, the calendar feeds."""

import datetime as dt

import icalendar
import pytest
import time_machine
from django.urls import reverse

from itsm import roles
from itsm.models import Membership
from oncall import selectors, services
from oncall.engine import zone
from oncall.models import Override, Rotation, Schedule
from tests.itsm.factories import TeamFactory

from .conftest import NOW
from .factories import OverrideFactory, RotationFactory, ScheduleFactory

pytestmark = pytest.mark.django_db
SEOUL = zone("Asia/Seoul")


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.mark.parametrize(
    "name", ["oncall:list", "oncall:my_shifts", "oncall:fairness", "oncall:overrides"]
)
def test_pages_need_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_list_shows_who_is_on_call_and_gaps(client, schedule, members, make_user):
    gappy = ScheduleFactory(team=TeamFactory(name="Night desk"), time_zone="Asia/Tokyo")
    RotationFactory(
        schedule=gappy,
        restriction="windows",
        members=[members[0]],
        windows=[{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}],
    )
    client.force_login(make_user(roles.REQUESTER))
    response = client.get(reverse("oncall:list"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Bob" in page and "Carol" in page  # now and next
    rows = {row["schedule"].pk: row for row in response.context["rows"]}
    assert rows[schedule.pk]["now"] == members[1] and not rows[schedule.pk]["gaps"]
    assert rows[gappy.pk]["gaps"] and "gaps" in page
    filtered = client.get(reverse("oncall:list"), {"team": "platform"})
    assert [r["schedule"] for r in filtered.context["rows"]] == [schedule]


def test_list_query_count_does_not_depend_on_the_number_of_schedules(
    client, schedule, make_user, django_assert_max_num_queries
):
    client.force_login(make_user(roles.REQUESTER))
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("oncall:list"))
    for _ in range(6):
        other = ScheduleFactory()
        RotationFactory(schedule=other)
        OverrideFactory(schedule=other, start=NOW, end=NOW + dt.timedelta(hours=1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("oncall:list"))


def test_timeline_page_shows_layers_overrides_final_and_gaps(client, team, members, make_user):
    schedule = ScheduleFactory(team=team, time_zone="Asia/Seoul")
    RotationFactory(
        schedule=schedule,
        name="Working hours",
        layer=2,
        restriction="business_hours",
        members=members[:2],
        kind="weekly",
    )
    OverrideFactory(schedule=schedule, user=members[2], start=NOW, end=NOW + dt.timedelta(hours=2))
    client.force_login(make_user(roles.REQUESTER))
    response = client.get(reverse("oncall:schedule", args=[schedule.pk]), {"weeks": 1})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Working hours" in page and "Final schedule" in page and "oncall-gap" in page
    assert "gaps in coverage" in page  # the warning
    gaps = response.context["gaps"]
    assert gaps and all(g.is_gap for g in gaps)
    assert response.context["override_rows"][0].label == "Carol"


def test_timeline_query_count_is_bounded(
    client, schedule, make_user, django_assert_max_num_queries
):
    client.force_login(make_user(roles.MANAGER))
    url = reverse("oncall:schedule", args=[schedule.pk])
    with django_assert_max_num_queries(30) as few:
        client.get(url, {"weeks": 1})
    for n in range(5):
        RotationFactory(
            schedule=schedule, layer=n + 2, members=[make_user(), make_user(), make_user()]
        )
        OverrideFactory(
            schedule=schedule,
            user=make_user(),
            start=NOW + dt.timedelta(hours=n),
            end=NOW + dt.timedelta(hours=n + 1),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, {"weeks": 8})
    assert len(response.context["layer_rows"]) == 6


@pytest.mark.parametrize(
    "query", [{"start": "garbage", "weeks": "x"}, {"weeks": "999"}, {"start": "2026-13-40"}]
)
def test_bad_timeline_parameters_fall_back(client, schedule, make_user, query):
    client.force_login(make_user())
    assert client.get(reverse("oncall:schedule", args=[schedule.pk]), query).status_code == 200


def test_team_address_goes_to_the_primary_schedule(client, schedule, make_user):
    client.force_login(make_user())
    assert (
        client.get(reverse("oncall:team", args=["platform"]))["Location"]
        == schedule.get_absolute_url()
    )
    empty = TeamFactory(slug="empty")
    assert "team=empty" in client.get(reverse("oncall:team", args=[empty.slug]))["Location"]


# --- Editing through the pages -------------------------------------------------------------------


def test_manager_creates_a_schedule_and_a_rotation(client, team, members, make_user):
    client.force_login(make_user(roles.MANAGER))
    response = client.post(
        reverse("oncall:schedule_create"),
        {
            "team": team.pk,
            "name": "Primary",
            "level": 1,
            "time_zone": "Asia/Seoul",
            "description": "",
        },
    )
    schedule = Schedule.objects.get()
    assert response["Location"] == schedule.get_absolute_url()
    response = client.post(
        reverse("oncall:rotation_create", args=[schedule.pk]),
        {
            "name": "Days",
            "layer": 2,
            "kind": "custom",
            "shift_length_hours": 12,
            "start_date": "2026-03-02",
            "handoff_time": "08:00",
            "members": "alice, bob\ncarol",
            "restriction": "windows",
            "window_days": ["0", "1", "2", "3", "4"],
            "window_start": "08:00",
            "window_end": "20:00",
        },
    )
    assert response.status_code == 302
    rotation = Rotation.objects.get()
    assert rotation.shift_length_hours == 12 and [
        u.username for u in rotation.ordered_members()
    ] == ["alice", "bob", "carol"]
    assert rotation.windows == [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "20:00"}]


def test_duplicate_level_is_a_message_not_an_error_page(client, schedule, make_user):
    client.force_login(make_user(roles.MANAGER))
    response = client.post(
        reverse("oncall:schedule_create"),
        {
            "team": schedule.team.pk,
            "name": "Again",
            "level": 1,
            "time_zone": "UTC",
        },
    )
    assert response.status_code == 200
    assert "already has a schedule for this level" in response.content.decode()
    assert Schedule.objects.count() == 1


def test_rotation_form_reports_unknown_people(client, schedule, make_user):
    client.force_login(make_user(roles.MANAGER))
    response = client.post(
        reverse("oncall:rotation_create", args=[schedule.pk]),
        {
            "name": "X",
            "layer": 1,
            "kind": "daily",
            "start_date": "2026-03-02",
            "handoff_time": "09:00",
            "members": "alice, nobody",
            "restriction": "none",
        },
    )
    assert response.status_code == 200 and "nobody" in str(
        response.context["form"].errors["members"]
    )


def test_editing_a_rotation_page_splits_it(client, schedule, members, make_user):
    client.force_login(make_user(roles.MANAGER))
    rotation = schedule.rotations.get()
    url = reverse("oncall:rotation_edit", args=[rotation.pk])
    assert "has started" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "name": "Daily",
            "layer": 1,
            "kind": "daily",
            "start_date": "2026-03-01",
            "handoff_time": "10:00",
            "members": "carol bob alice",
            "restriction": "none",
        },
    )
    assert response.status_code == 302
    assert (
        schedule.rotations.count() == 2
        and schedule.rotations.current().get().handoff_time == dt.time(10)
    )


@pytest.mark.parametrize("name", ["oncall:rotation_create", "oncall:schedule_edit"])
def test_people_without_the_right_get_403(client, schedule, make_user, name):
    client.force_login(make_user(roles.REQUESTER))
    assert client.get(reverse(name, args=[schedule.pk])).status_code == 403
    assert client.get(reverse("oncall:schedule_create")).status_code == 403


def test_rotation_end_through_the_page(client, schedule, make_user):
    rotation = schedule.rotations.get()
    client.force_login(make_user(roles.REQUESTER))
    assert client.post(reverse("oncall:rotation_end", args=[rotation.pk])).status_code == 403
    client.force_login(make_user(roles.MANAGER))
    client.post(reverse("oncall:rotation_end", args=[rotation.pk]))
    rotation.refresh_from_db()
    assert rotation.valid_until == NOW


# --- Overrides, take-overs and cancelling through the pages --------------------------------------


def override_post(client, schedule, user, **extra):
    return client.post(
        reverse("oncall:override_create", args=[schedule.pk]),
        {
            "user": user.pk,
            "start": "2026-03-02T13:00",
            "end": "2026-03-02T15:00",
            "reason": "",
            **extra,
        },
        follow=True,
    )


def test_a_member_takes_a_shift_with_the_form_in_their_time_zone(client, schedule, members):
    alice = members[0]
    client.force_login(alice)
    response = override_post(client, schedule, alice)
    override = Override.objects.get()
    assert override.start == dt.datetime(2026, 3, 2, 13, tzinfo=SEOUL)  # alice lives in Seoul
    assert "The override was saved." in messages_of(response)


def test_a_member_cannot_put_someone_else_on_call(client, schedule, members):
    client.force_login(members[0])
    response = override_post(client, schedule, members[2])
    assert not Override.objects.exists() and messages_of(response)


def test_a_clash_is_a_flash_message(client, schedule, members):
    OverrideFactory(schedule=schedule, user=members[2], start=NOW, end=NOW + dt.timedelta(hours=8))
    client.force_login(members[0])
    response = override_post(client, schedule, members[0])
    assert any("already covers" in m for m in messages_of(response))


def test_ill_take_it_from_an_incident_page_returns_there(client, schedule, members):
    client.force_login(members[0])
    response = client.post(reverse("oncall:take_over", args=["platform"]), {"next": "/incidents/"})
    assert response["Location"] == "/incidents/"
    assert selectors.on_call(team=schedule.team, at=NOW) == members[0]
    evil = client.post(
        reverse("oncall:take_over", args=["platform"]), {"next": "https://evil.example/"}
    )
    assert evil["Location"] == schedule.get_absolute_url()


def test_ill_take_it_is_refused_politely_for_outsiders_and_clashes(
    client, schedule, members, make_user
):
    client.force_login(make_user(roles.REQUESTER))
    assert client.post(reverse("oncall:take_over", args=["platform"])).status_code == 403
    OverrideFactory(schedule=schedule, user=members[2], start=NOW, end=NOW + dt.timedelta(days=2))
    client.force_login(members[0])
    response = client.post(reverse("oncall:take_over", args=["platform"]), follow=True)
    assert any("already covers" in m for m in messages_of(response))


@pytest.mark.parametrize("state", ["active", "cancelled"])
@pytest.mark.parametrize(("who", "status"), [("holder", 302), ("manager", 302), ("other", 403)])
def test_cancel_through_the_page(client, schedule, members, make_user, state, who, status):
    override = OverrideFactory(
        schedule=schedule, user=members[0], start=NOW, end=NOW + dt.timedelta(hours=2)
    )
    if state == "cancelled":
        override.cancel(at=NOW)
        override.save()
    actor = {"holder": members[0], "manager": make_user(roles.MANAGER), "other": members[1]}[who]
    client.force_login(actor)
    response = client.post(reverse("oncall:override_cancel", args=[override.pk]))
    assert response.status_code == status
    if status == 302:
        flash = messages_of(client.get(response["Location"]))
        expected = "not allowed in the current state" if state == "cancelled" else "was cancelled"
        assert any(expected in m for m in flash)


def test_override_list_is_filterable(client, schedule, members, make_user):
    OverrideFactory(schedule=schedule, user=members[0], start=NOW, end=NOW + dt.timedelta(hours=2))
    OverrideFactory(
        schedule=schedule,
        user=members[1],
        start=NOW - dt.timedelta(days=3),
        end=NOW - dt.timedelta(days=2),
    )
    client.force_login(make_user())
    upcoming = client.get(reverse("oncall:overrides"))
    assert [o.user for o in upcoming.context["page"]] == [members[0]]
    past = client.get(reverse("oncall:overrides"), {"upcoming": "false"})
    assert [o.user for o in past.context["page"]] == [members[1]]
    by_user = client.get(reverse("oncall:overrides"), {"user": "bob"})
    assert [o.user for o in by_user.context["page"]] == [members[1]]


# --- My shifts, my work, fairness ----------------------------------------------------------------


def test_my_shifts_and_my_work(client, schedule, members):
    bob = members[1]
    client.force_login(bob)
    response = client.get(reverse("oncall:my_shifts"))
    shifts = response.context["shifts"]
    assert shifts[0].is_now and shifts[0].end == dt.datetime(2026, 3, 3, 9, tzinfo=SEOUL)
    assert "/oncall/calendar/person/" in response.content.decode()
    home = client.get(reverse("home")).content.decode()
    assert "My on-call shifts" in home and "Platform · Primary" in home


def test_my_work_stays_quiet_for_people_who_are_never_on_call(client, make_user):
    client.force_login(make_user())
    assert "My on-call shifts" not in client.get(reverse("home")).content.decode()


def test_fairness_page(client, schedule, members, make_user):
    client.force_login(make_user(roles.MANAGER))
    response = client.get(reverse("oncall:fairness"), {"month": "2026-03", "team": "platform"})
    rows = response.context["rows"]
    assert {r.user.username for r in rows} == {"alice", "bob", "carol"}
    assert "Night hours" in response.content.decode()
    assert client.get(reverse("oncall:fairness"), {"month": "2026-99"}).status_code == 200


# --- Calendar feeds ------------------------------------------------------------------------------


def test_personal_feed_is_valid_icalendar_and_needs_only_the_token(client, schedule, members):
    alice = members[0]
    token = selectors.feed_of(alice).token
    response = client.get(reverse("oncall:person_feed", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
    calendar = icalendar.Calendar.from_ical(body)
    events = calendar.walk("VEVENT")
    assert events and all(str(e["SUMMARY"]).startswith("On call: Platform") for e in events)
    first = min(events, key=lambda e: e.decoded("DTSTART"))
    assert first.decoded("DTSTART") == dt.datetime(2026, 3, 1, 9, tzinfo=SEOUL)
    assert first.decoded("DTEND") - first.decoded("DTSTART") == dt.timedelta(days=1)
    assert len({str(e["UID"]) for e in events}) == len(events)
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))  # folded (RFC 5545 3.1)


def test_a_rotated_token_stops_working(client, schedule, members):
    alice = members[0]
    old = selectors.feed_of(alice).token
    client.force_login(alice)
    client.post(reverse("oncall:feed_rotate"))
    client.logout()
    assert client.get(reverse("oncall:person_feed", args=[old])).status_code == 404
    new = selectors.feed_of(alice).token
    assert client.get(reverse("oncall:person_feed", args=[new])).status_code == 200
    assert client.get(reverse("oncall:schedule_feed", args=["wrong"])).status_code == 404


def test_schedule_feed_shows_gaps_as_events(client, team, members):
    schedule = ScheduleFactory(team=team)
    RotationFactory(
        schedule=schedule,
        members=members[:1],
        restriction="windows",
        windows=[{"days": [0], "start": "09:00", "end": "18:00"}],
    )
    response = client.get(reverse("oncall:schedule_feed", args=[schedule.ical_token]))
    summaries = [
        str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    ]
    assert "On call: Alice" in summaries
    assert any(s.startswith("GAP: nobody is on call") for s in summaries)


def test_a_deactivated_persons_feed_is_gone(client, schedule, members):
    alice = members[0]
    token = selectors.feed_of(alice).token
    alice.is_active = False
    alice.save()
    assert client.get(reverse("oncall:person_feed", args=[token])).status_code == 404


def test_schedule_page_shows_the_feed_and_take_button_to_members(
    client, schedule, members, make_user
):
    client.force_login(members[0])
    page = client.get(schedule.get_absolute_url()).content.decode()
    assert schedule.ical_token in page and "take it" in page
    client.force_login(make_user(roles.REQUESTER))
    assert "take it" not in client.get(schedule.get_absolute_url()).content.decode()


def test_team_lead_sees_edit_buttons(client, schedule, make_user):
    lead = make_user(roles.OPS_LEADER)
    Membership.objects.create(team=schedule.team, user=lead, is_lead=True)
    client.force_login(lead)
    assert "Add rotation" in client.get(schedule.get_absolute_url()).content.decode()
    assert services  # the lead may edit: checked in test_services


def test_a_gap_already_over_is_drawn_but_not_warned_about(client, team, members, make_user):
    schedule = ScheduleFactory(team=team)
    RotationFactory(schedule=schedule, members=members, valid_from=NOW)  # covers from now on
    client.force_login(make_user())
    response = client.get(schedule.get_absolute_url(), {"weeks": 1})
    assert response.context["gaps"] == []
    assert "gaps in coverage" not in response.content.decode()
    assert response.context["final"][0].css == "oncall-gap"  # midnight to now, drawn


@pytest.mark.parametrize("model", ["schedule", "rotation", "override", "personalfeed"])
def test_admin_pages_render(client, admin_user, schedule, members, model):
    OverrideFactory(schedule=schedule, user=members[0], start=NOW, end=NOW + dt.timedelta(hours=1))
    client.force_login(admin_user)
    assert client.get(reverse(f"admin:oncall_{model}_changelist")).status_code == 200
