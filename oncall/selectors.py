"""Reads shared by pages, the API, the calendar feeds and other apps.

`on_call` and `on_call_for_level` are the stable entry points for incident escalation: call
them when an escalation step fires, with the instant it fires, and page whoever they return.
Every function loads what it needs in a fixed number of queries, however many rotations,
members and overrides a schedule has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from itsm.business_time import CalendarSpec, public_holidays
from itsm.models import BusinessCalendar, Team

from . import engine, fairness
from .models import Override, PersonalFeed, Rotation, RotationMember, Schedule

User = get_user_model()
# How far ahead "until when" and "who is next" look.
LOOKAHEAD = dt.timedelta(days=31)
MAX_WINDOW = dt.timedelta(days=400)


def schedules() -> QuerySet[Schedule]:
    return Schedule.objects.select_related("team", "team__calendar")


def team_by_key(team: Team | str | int) -> Team | None:
    """A Team from an instance, a slug or a primary key."""
    if isinstance(team, Team):
        return team
    lookup = Q(slug=team) if isinstance(team, str) and not team.isdigit() else Q(pk=team)
    return Team.objects.filter(lookup).first()


# --- Loading specs ----------------------------------------------------------------------------


def calendar_spec(calendar: BusinessCalendar | None) -> CalendarSpec | None:
    """BusinessCalendar.spec() without its query: closed days come prefetched."""
    if calendar is None:
        return None
    return CalendarSpec(
        country=calendar.country,
        time_zone=calendar.time_zone,
        work_start=calendar.work_start,
        work_end=calendar.work_end,
        work_days=frozenset(calendar.work_days or [0, 1, 2, 3, 4]),
        closed_days=frozenset(day.date for day in calendar.closed_days.all()),
    )


def rotation_spec(rotation: Rotation, calendar: CalendarSpec | None) -> engine.RotationSpec:
    return engine.RotationSpec(
        id=rotation.pk,
        members=tuple(m.user_id for m in sorted(rotation.members.all(), key=lambda m: m.position)),
        anchor=rotation.anchor,
        length=rotation.length,
        time_zone=rotation.time_zone,
        layer=rotation.layer,
        restriction=rotation.restriction,
        windows=rotation.window_specs(),
        calendar=calendar,
        valid_from=rotation.valid_from,
        valid_until=rotation.valid_until,
    )


def override_spec(override: Override) -> engine.OverrideSpec:
    return engine.OverrideSpec(
        id=override.pk,
        user_id=override.user_id,
        start=override.start,
        end=override.effective_end,
        replaces_id=override.replaces_id,
    )


def load(
    queryset: QuerySet[Schedule] | Iterable[Schedule], start: dt.datetime, end: dt.datetime
) -> list[Schedule]:
    """Schedules with what [start, end) needs prefetched: five queries whatever the count."""
    if not isinstance(queryset, QuerySet):
        queryset = schedules().filter(pk__in=[s.pk for s in queryset])
    members = RotationMember.objects.select_related("user").order_by("position")
    rotations = (
        Rotation.objects.overlapping(start, end)
        .prefetch_related(Prefetch("members", queryset=members))
        .order_by("-layer", "pk")
    )
    overrides = (
        Override.objects.overlapping(start, end)
        .select_related("user", "replaces", "created_by")
        .order_by("pk")
    )
    return list(
        queryset.select_related("team", "team__calendar").prefetch_related(
            "team__calendar__closed_days",
            Prefetch("rotations", queryset=rotations, to_attr="window_rotations"),
            Prefetch("overrides", queryset=overrides, to_attr="window_overrides"),
        )
    )


def spec_of(schedule: Schedule) -> engine.ScheduleSpec:
    """The engine's view of a schedule returned by `load`."""
    calendar = calendar_spec(schedule.team.calendar)
    return engine.ScheduleSpec(
        rotations=tuple(rotation_spec(r, calendar) for r in schedule.window_rotations),
        overrides=tuple(override_spec(o) for o in schedule.window_overrides),
    )


def people_of(schedule: Schedule) -> dict[int, object]:
    """Every user a loaded schedule can name, by id (no query)."""
    people: dict[int, object] = {}
    for rotation in schedule.window_rotations:
        for member in rotation.members.all():
            people[member.user_id] = member.user
    for override in schedule.window_overrides:
        people[override.user_id] = override.user
        if override.replaces_id:
            people[override.replaces_id] = override.replaces
    return people


# --- Who is on call -------------------------------------------------------------------------


@dataclass
class OnCall:
    """The answer for one schedule at one instant."""

    schedule: Schedule
    at: dt.datetime
    user: object | None
    since: dt.datetime | None = None
    until: dt.datetime | None = None  # None: not within LOOKAHEAD
    next_user: object | None = None
    segment: engine.Segment | None = None
    override: Override | None = None


LOOKBACK = dt.timedelta(days=7)


def on_call_detail(
    *, team: Team | str | int, level: int = 1, at: dt.datetime | None = None
) -> OnCall | None:
    """Who is on call for `team` at escalation `level` at `at`, since when, until when and
    who is next. None when the team has no schedule at that level."""
    at = engine.require_aware(at or timezone.now())
    team_obj = team_by_key(team)
    if team_obj is None:
        return None
    start, end = at - LOOKBACK, at + LOOKAHEAD
    found = load(schedules().filter(team=team_obj, level=level), start, end)
    if not found:
        return None
    schedule = found[0]
    segments = engine.merge_by_person(engine.resolve(spec_of(schedule), start, end))
    index = next(i for i, s in enumerate(segments) if s.start <= at < s.end)
    current = segments[index]
    following = segments[index + 1] if index + 1 < len(segments) else None
    people = people_of(schedule)
    return OnCall(
        schedule=schedule,
        at=at,
        user=people.get(current.user_id) if current.user_id else None,
        since=current.start if current.start > start else None,
        until=following.start if following else None,
        next_user=people.get(following.user_id) if following and following.user_id else None,
        segment=current,
        override=next((o for o in schedule.window_overrides if o.pk == current.override_id), None),
    )


def on_call_for_level(
    *, team: Team | str | int, level: int = 1, at: dt.datetime | None = None
) -> User | None:
    """The person on call for `team` at escalation `level`, resolved at instant `at`.

    Incident escalation calls this when a step fires (not when the incident opened), so
    hand-offs, overrides and "I'll take it" made in between count. Returns None when the
    team has no schedule at that level or nobody covers that instant (a gap): the caller
    decides the fallback, e.g. the next level or the team's lead.
    """
    at = engine.require_aware(at or timezone.now())
    team_obj = team_by_key(team)
    if team_obj is None:
        return None
    found = load(schedules().filter(team=team_obj, level=level), at, at + dt.timedelta(seconds=1))
    if not found:
        return None
    segment = engine.segment_at(spec_of(found[0]), at)
    return people_of(found[0]).get(segment.user_id) if segment.user_id else None


def on_call(*, team: Team | str | int, at: dt.datetime | None = None) -> User | None:
    """The primary (level 1) on-call person of `team` at `at`; None when nobody is."""
    return on_call_for_level(team=team, level=1, at=at)


# --- Timelines -------------------------------------------------------------------------------


@dataclass
class Timeline:
    schedule: Schedule
    start: dt.datetime
    end: dt.datetime
    segments: list[engine.Segment]
    layers: list[tuple[Rotation, list[engine.Shift]]] = field(default_factory=list)
    people: dict[int, object] = field(default_factory=dict)

    @property
    def gaps(self) -> list[engine.Segment]:
        return engine.gaps(self.segments)

    def person(self, user_id: int | None):
        return self.people.get(user_id) if user_id else None


def timeline_of(schedule: Schedule, start: dt.datetime, end: dt.datetime, *, layers=False):
    """The resolved schedule of a `load`ed schedule; `layers` adds each rotation's own row."""
    spec = spec_of(schedule)
    segments = engine.resolve(spec, start, end)
    rows = []
    if layers:
        by_id = {r.pk: r for r in schedule.window_rotations}
        rows = [(by_id[r.id], engine.rotation_on_call(r, start, end)) for r in spec.rotations]
    return Timeline(schedule, start, end, segments, rows, people_of(schedule))


def timelines(
    queryset: QuerySet[Schedule], start: dt.datetime, end: dt.datetime, *, layers=False
) -> list[Timeline]:
    if end - start > MAX_WINDOW:
        raise ValueError("a timeline covers at most 400 days")
    return [timeline_of(s, start, end, layers=layers) for s in load(queryset, start, end)]


@dataclass
class PersonalShift:
    """One stretch of one person's on-call duty, for "my shifts", "my work" and calendars."""

    schedule: Schedule
    start: dt.datetime
    end: dt.datetime
    user: object
    override: Override | None = None

    def get_absolute_url(self) -> str:
        return self.schedule.get_absolute_url()

    def __str__(self) -> str:
        from django.utils.formats import date_format

        start = date_format(timezone.localtime(self.start), "SHORT_DATETIME_FORMAT")
        end = date_format(timezone.localtime(self.end), "SHORT_DATETIME_FORMAT")
        return f"{self.schedule}: {start} – {end}"

    @property
    def is_now(self) -> bool:
        return self.start <= timezone.now() < self.end


def schedules_of_user(user) -> QuerySet[Schedule]:
    """Schedules where `user` is in a rotation or holds an override."""
    return (
        schedules()
        .filter(
            Q(rotations__members__user=user) | Q(overrides__user=user) | Q(overrides__replaces=user)
        )
        .distinct()
    )


def shifts_of_user(user, start: dt.datetime, end: dt.datetime) -> list[PersonalShift]:
    """Every stretch in [start, end) in which `user` is on call, in any schedule."""
    found: list[PersonalShift] = []
    for line in timelines(schedules_of_user(user), start, end):
        overrides = {o.pk: o for o in line.schedule.window_overrides}
        for segment in engine.merge_by_person(line.segments):
            if segment.user_id == user.pk:
                found.append(
                    PersonalShift(
                        line.schedule,
                        segment.start,
                        segment.end,
                        user,
                        overrides.get(segment.override_id),
                    )
                )
    return sorted(found, key=lambda s: (s.start, s.schedule.pk))


def feed_of(user) -> PersonalFeed:
    feed, _created = PersonalFeed.objects.get_or_create(user=user)
    return feed


def overrides() -> QuerySet[Override]:
    return Override.objects.select_related(
        "schedule", "schedule__team", "user", "replaces", "created_by"
    )


def rotations() -> QuerySet[Rotation]:
    members = RotationMember.objects.select_related("user").order_by("position")
    return Rotation.objects.select_related("schedule", "schedule__team").prefetch_related(
        Prefetch("members", queryset=members)
    )


# --- Fairness ----------------------------------------------------------------------------------


@dataclass
class FairnessRow:
    user: object
    tally: fairness.Tally

    @property
    def total_hours(self) -> float:
        return fairness.Tally.hours(self.tally.total)

    @property
    def night_hours(self) -> float:
        return fairness.Tally.hours(self.tally.night)

    @property
    def weekend_hours(self) -> float:
        return fairness.Tally.hours(self.tally.weekend)

    @property
    def holiday_hours(self) -> float:
        return fairness.Tally.hours(self.tally.holiday)


def fairness_report(queryset: QuerySet[Schedule], year: int, month: int) -> list[FairnessRow]:
    """Hours on call per person in one month, nights, weekends and public holidays counted.

    Each schedule is measured in its own time zone (its month, its nights, its weekends) and
    its team's public holidays; a person on several schedules gets the sum.
    """
    loaded = []
    for schedule in queryset:
        loaded.append(
            (schedule, *fairness.month_bounds(year, month, engine.zone(schedule.time_zone)))
        )
    if not loaded:
        return []
    start = min(b[1] for b in loaded)
    end = max(b[2] for b in loaded)
    rows: dict[int, FairnessRow] = {}
    for schedule in load(queryset, start, end):
        month_start, month_end = fairness.month_bounds(year, month, engine.zone(schedule.time_zone))
        calendar = calendar_spec(schedule.team.calendar)
        segments = engine.resolve(spec_of(schedule), month_start, month_end)
        people = people_of(schedule)
        for user_id, tally in fairness.per_person(
            segments, engine.zone(schedule.time_zone), _holiday_test(calendar)
        ).items():
            row = rows.setdefault(user_id, FairnessRow(people[user_id], fairness.Tally()))
            row.tally.add(tally)
    return sorted(rows.values(), key=lambda r: (-r.tally.total, str(r.user)))


def _holiday_test(calendar: CalendarSpec | None):
    if calendar is None or not calendar.country:
        return lambda day: False
    return lambda day: (
        day in public_holidays(calendar.country, day.year) or (day in calendar.closed_days)
    )
