"""The API: schedules, rotations, overrides, shifts, "now" and "take over"."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from itsm import roles
from oncall.engine import zone
from oncall.models import Override, Rotation, Schedule

from .conftest import NOW
from .factories import OverrideFactory, RotationFactory, ScheduleFactory

pytestmark = pytest.mark.django_db
SEOUL = zone("Asia/Seoul")


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def now_url(team: str) -> str:
    return f"/api/v1/oncall/{team}/now"


def test_now_for_a_team_by_slug(api_client_for, schedule, members, make_user):
    response = api_client_for(make_user()).get(now_url("platform"))
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["username"] == "bob" and body["next"]["username"] == "carol"
    assert body["until"] == "2026-03-03T00:00:00Z" and body["since"] == "2026-03-02T00:00:00Z"
    assert body["schedule"] == schedule.pk and body["level"] == 1 and body["override"] is None
    assert api_client_for(make_user()).get(now_url("platform") + "/").status_code == 200


def test_now_at_another_instant_and_level(api_client_for, schedule, members, make_user):
    client = api_client_for(make_user())
    body = client.get(now_url("platform"), {"at": "2026-03-04T12:00:00+09:00"}).json()
    assert body["user"]["username"] == "alice"
    assert client.get(now_url("platform"), {"level": 2}).status_code == 404
    assert client.get(now_url("platform"), {"at": "yesterday"}).status_code == 400
    assert client.get(now_url("platform"), {"at": "2026-03-04T12:00:00"}).status_code == 400
    assert client.get(now_url("platform"), {"level": "x"}).status_code == 400
    assert client.get(now_url("nope")).status_code == 404


def test_now_reports_a_gap_as_null(api_client_for, schedule, make_user):
    body = (
        api_client_for(make_user()).get(now_url("platform"), {"at": "2026-02-01T00:00:00Z"}).json()
    )
    assert body["user"] is None and body["next"]["username"] == "alice"


def test_now_needs_authentication(client, schedule):
    assert client.get(now_url("platform")).status_code in (401, 403)


def test_now_query_count_is_constant(
    api_client_for, schedule, make_user, django_assert_max_num_queries
):
    client = api_client_for(make_user())
    with django_assert_max_num_queries(10) as few:
        client.get(now_url("platform"))
    for n in range(4):
        RotationFactory(schedule=schedule, layer=n + 2, members=[make_user(), make_user()])
        OverrideFactory(schedule=schedule, user=make_user(), start=NOW + dt.timedelta(hours=n))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(now_url("platform"))


# --- Schedules --------------------------------------------------------------------------------


def test_list_and_filter_schedules(
    api_client_for, schedule, make_user, django_assert_max_num_queries
):
    ScheduleFactory(level=2)
    client = api_client_for(make_user())
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/oncall/schedules/").json()
    assert body["count"] == 2
    only = client.get("/api/v1/oncall/schedules/", {"team": "platform"}).json()
    assert [s["id"] for s in only["results"]] == [schedule.pk]
    assert client.get("/api/v1/oncall/schedules/", {"level": 2}).json()["count"] == 1


@pytest.mark.parametrize(
    ("role", "status"), [(roles.MANAGER, 201), (roles.ADMINISTRATOR, 201), (roles.REQUESTER, 403)]
)
def test_create_schedule_by_role(api_client_for, team, user_for, role, status):
    response = api_client_for(user_for(role)).post(
        "/api/v1/oncall/schedules/",
        {"team": "platform", "name": "Primary", "level": 1, "time_zone": "Asia/Seoul"},
        format="json",
    )
    assert response.status_code == status
    assert Schedule.objects.count() == (1 if status == 201 else 0)


def test_schedule_errors_are_400_with_a_message(api_client_for, schedule, user_for):
    client = api_client_for(user_for(roles.MANAGER))
    dup = client.post(
        "/api/v1/oncall/schedules/",
        {"team": "platform", "name": "X", "level": 1, "time_zone": "UTC"},
        format="json",
    )
    assert dup.status_code == 400 and "level" in dup.json()["error"]["message"]
    bad = client.patch(
        f"/api/v1/oncall/schedules/{schedule.pk}/", {"time_zone": "Mars/Base"}, format="json"
    )
    assert bad.status_code == 400


def test_shifts_endpoint_lists_segments_and_gaps(api_client_for, team, members, make_user):
    schedule = ScheduleFactory(team=team, time_zone="Asia/Tokyo")
    RotationFactory(
        schedule=schedule,
        restriction="windows",
        members=members[:2],
        kind="daily",
        windows=[{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}],
    )
    client = api_client_for(make_user())
    body = client.get(
        f"/api/v1/oncall/schedules/{schedule.pk}/shifts/",
        {"start": "2026-03-02T00:00:00+09:00", "end": "2026-03-03T00:00:00+09:00"},
    ).json()
    assert [(s["start"], s["user"] and s["user"]["username"]) for s in body["segments"]] == [
        ("2026-03-01T15:00:00Z", None),
        ("2026-03-02T00:00:00Z", "alice"),
        ("2026-03-02T09:00:00Z", None),
    ]
    assert len(body["gaps"]) == 2
    too_long = client.get(
        f"/api/v1/oncall/schedules/{schedule.pk}/shifts/",
        {"start": "2026-03-02T00:00:00Z", "end": "2026-09-02T00:00:00Z"},
    )
    assert too_long.status_code == 400


def test_rotate_calendar_token(api_client_for, schedule, user_for, members):
    response = api_client_for(user_for(roles.MANAGER)).post(
        f"/api/v1/oncall/schedules/{schedule.pk}/rotate-calendar-token/"
    )
    schedule.refresh_from_db()
    assert response.status_code == 200 and schedule.ical_token in response.json()["url"]
    assert (
        api_client_for(members[0])
        .post(f"/api/v1/oncall/schedules/{schedule.pk}/rotate-calendar-token/")
        .status_code
        == 403
    )


# --- Rotations -----------------------------------------------------------------------------------


def rotation_body(schedule, **kw):
    return {
        "schedule": schedule.pk,
        "name": "Nights",
        "layer": 1,
        "kind": "weekly",
        "start_date": "2026-03-02",
        "handoff_time": "18:00",
        "members": ["carol", "alice"],
        "restriction": "windows",
        "windows": [{"days": [0, 1, 2, 3, 4], "start": "18:00", "end": "09:00"}],
        **kw,
    }


def test_create_and_list_rotations(
    api_client_for, schedule, members, user_for, django_assert_max_num_queries
):
    client = api_client_for(user_for(roles.MANAGER))
    response = client.post("/api/v1/oncall/rotations/", rotation_body(schedule), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["members"] == ["carol", "alice"] and body["time_zone"] == "Asia/Seoul"
    assert body["windows"] == [{"days": [0, 1, 2, 3, 4], "start": "18:00", "end": "09:00"}]
    with django_assert_max_num_queries(8):
        listing = client.get("/api/v1/oncall/rotations/", {"schedule": schedule.pk}).json()
    assert listing["count"] == 2


def test_rotation_validation_errors_are_400(api_client_for, schedule, members, user_for):
    client = api_client_for(user_for(roles.MANAGER))
    for body in (
        rotation_body(schedule, members=[]),
        rotation_body(schedule, members=["ghost"]),
        rotation_body(schedule, windows=[{"days": [9], "start": "18:00", "end": "09:00"}]),
        rotation_body(schedule, kind="custom", shift_length_hours=0),
    ):
        assert client.post("/api/v1/oncall/rotations/", body, format="json").status_code == 400


def test_updating_a_started_rotation_returns_its_successor(
    api_client_for, schedule, members, user_for
):
    rotation = schedule.rotations.get()
    client = api_client_for(user_for(roles.MANAGER))
    response = client.patch(
        f"/api/v1/oncall/rotations/{rotation.pk}/", {"members": ["carol", "bob"]}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (
        body["id"] != rotation.pk
        and body["previous"] == rotation.pk
        and body["members"] == ["carol", "bob"]
    )
    old = client.get(f"/api/v1/oncall/rotations/{rotation.pk}/").json()
    assert old["successor"] == body["id"] and old["valid_until"] == "2026-03-02T03:00:00Z"
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        assert client.delete(f"/api/v1/oncall/rotations/{body['id']}/").status_code == 204
    assert Rotation.objects.count() == 2  # ended, not deleted: it had started
    assert (
        api_client_for(members[0])
        .patch(f"/api/v1/oncall/rotations/{rotation.pk}/", {"name": "x"}, format="json")
        .status_code
        == 403
    )


# --- Overrides -----------------------------------------------------------------------------------


def test_create_override_and_cancel_it(api_client_for, schedule, members):
    alice = members[0]
    client = api_client_for(alice)
    response = client.post(
        "/api/v1/oncall/overrides/",
        {
            "schedule": schedule.pk,
            "user": "alice",
            "start": "2026-03-02T13:00:00+09:00",
            "end": "2026-03-02T15:00:00+09:00",
            "reason": "covering lunch",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    override_id = response.json()["id"]
    assert response.json()["created_by"] == "alice"
    cancel = client.post(f"/api/v1/oncall/overrides/{override_id}/cancel/")
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    again = client.post(f"/api/v1/oncall/overrides/{override_id}/cancel/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "transition_not_allowed"


def test_override_errors(api_client_for, schedule, members, make_user):
    alice, bob, carol = members
    body = {
        "schedule": schedule.pk,
        "user": "carol",
        "start": "2026-03-02T13:00:00+09:00",
        "end": "2026-03-02T15:00:00+09:00",
    }
    assert (
        api_client_for(alice).post("/api/v1/oncall/overrides/", body, format="json").status_code
        == 403
    )
    manager = make_user(roles.MANAGER)
    assert (
        api_client_for(manager).post("/api/v1/oncall/overrides/", body, format="json").status_code
        == 201
    )
    clash = api_client_for(alice).post(
        "/api/v1/oncall/overrides/", {**body, "user": "alice"}, format="json"
    )
    assert clash.status_code == 409 and "already covers" in clash.json()["error"]["message"]
    backwards = {**body, "user": "alice", "end": "2026-03-02T12:00:00+09:00"}
    assert (
        api_client_for(alice)
        .post("/api/v1/oncall/overrides/", backwards, format="json")
        .status_code
        == 400
    )
    other = OverrideFactory(schedule=schedule, user=bob, start=NOW + dt.timedelta(days=2))
    assert (
        api_client_for(carol).post(f"/api/v1/oncall/overrides/{other.pk}/cancel/").status_code
        == 403
    )
    assert (
        api_client_for(alice)
        .put(f"/api/v1/oncall/overrides/{other.pk}/", body, format="json")
        .status_code
        == 405
    )


def test_override_list_filters_and_query_budget(
    api_client_for, schedule, members, make_user, django_assert_max_num_queries
):
    for n in range(5):
        OverrideFactory(schedule=schedule, user=members[n % 3], start=NOW + dt.timedelta(days=n))
    client = api_client_for(make_user())
    with django_assert_max_num_queries(5):
        body = client.get("/api/v1/oncall/overrides/", {"team": "platform", "user": "alice"}).json()
    assert body["count"] == 2


def test_take_over_api(api_client_for, schedule, members):
    response = api_client_for(members[0]).post(
        "/api/v1/oncall/platform/take-over", {}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["end"] == "2026-03-03T00:00:00Z"
    clash = api_client_for(members[2]).post("/api/v1/oncall/platform/take-over", {}, format="json")
    assert clash.status_code == 409
    assert Override.objects.count() == 1


def test_schema_documents_the_oncall_endpoints(api_client_for, make_user):
    schema = api_client_for(make_user()).get(reverse("schema"), {"format": "json"}).json()
    paths = schema["paths"]
    for path in (
        "/api/v1/oncall/schedules/",
        "/api/v1/oncall/rotations/{id}/",
        "/api/v1/oncall/overrides/{id}/cancel/",
        "/api/v1/oncall/schedules/{id}/shifts/",
    ):
        assert path in paths
    assert any(p.startswith("/api/v1/oncall/{team}/now") for p in paths)


# --- Transition matrices through the API ---------------------------------------------------------


@pytest.mark.parametrize("state", ["active", "cancelled", "over"])
@pytest.mark.parametrize("who", ["holder", "manager", "member", "outsider"])
def test_cancel_override_matrix(api_client_for, schedule, members, make_user, state, who):
    start = NOW - dt.timedelta(hours=3) if state == "over" else NOW
    override = OverrideFactory(
        schedule=schedule, user=members[0], start=start, end=start + dt.timedelta(hours=2)
    )
    if state == "cancelled":
        override.cancel(at=NOW)
        override.save()
    actor = {
        "holder": members[0],
        "manager": make_user(roles.MANAGER),
        "member": members[1],
        "outsider": make_user(roles.REQUESTER),
    }[who]
    response = api_client_for(actor).post(f"/api/v1/oncall/overrides/{override.pk}/cancel/")
    if who in ("member", "outsider"):
        expected = 403
    else:
        expected = {"active": 200, "cancelled": 409, "over": 409}[state]
    assert response.status_code == expected, response.json()


@pytest.mark.parametrize("state", ["not_started", "running", "ended"])
@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (roles.MANAGER, True),
        (roles.ADMINISTRATOR, True),
        (roles.ONCALL, False),
        (roles.REQUESTER, False),
    ],
)
def test_end_rotation_matrix(api_client_for, schedule, members, user_for, state, role, allowed):
    rotation = schedule.rotations.get()
    if state == "not_started":
        rotation.start_date = dt.date(2026, 4, 1)
        rotation.save()
    elif state == "ended":
        rotation.valid_until = NOW - dt.timedelta(hours=1)
        rotation.save()
    response = api_client_for(user_for(role)).delete(f"/api/v1/oncall/rotations/{rotation.pk}/")
    if not allowed:
        assert response.status_code == 403
    elif state == "ended":
        assert response.status_code == 409
    else:
        assert response.status_code == 204
        assert Rotation.objects.filter(pk=rotation.pk).exists() == (state == "running")


def test_instants_with_any_offset_are_read_in_utc(api_client_for, schedule, members, make_user):
    """PostgreSQL refuses offsets beyond ±15:59 (a 500 before); Python cannot move year 1."""
    OverrideFactory(schedule=schedule, user=members[0], start=NOW + dt.timedelta(days=1))
    client = api_client_for(make_user())
    after = (NOW + dt.timedelta(hours=12)).astimezone(
        dt.timezone(dt.timedelta(hours=22, minutes=6))
    )
    listed = client.get("/api/v1/oncall/overrides/", {"after": after.isoformat()})
    assert listed.status_code == 200 and listed.json()["count"] == 1
    later = client.get(
        "/api/v1/oncall/overrides/", {"after": (after + dt.timedelta(days=2)).isoformat()}
    )
    assert later.json()["count"] == 0
    shifts = f"/api/v1/oncall/schedules/{schedule.pk}/shifts/"
    odd = client.get(shifts, {"start": after.isoformat()})
    assert odd.status_code == 200
    assert odd.json()["start"] == (NOW + dt.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for query in (
        {"start": "0001-01-01T00:00:00+14:00"},  # before the calendar in UTC
        {"start": "9999-12-31T23:00:00Z"},  # its default end is after it
        {"start": "2026-13-45T00:00:00Z"},
    ):
        refused = client.get(shifts, query)
        assert refused.status_code == 400, query
        assert refused.json()["error"]["message"]
    year_one = client.get("/api/v1/oncall/overrides/", {"after": "0001-01-01T00:00:00+14:00"})
    assert year_one.status_code == 400
