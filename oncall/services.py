"""The only writers of on-call data. Keyword-only; each locks the schedule row so that two
writers on one schedule queue up, checks permissions, records an audit event and defers
notifications until commit.

`actor=None` means the system itself (demo data, migrations); every door for people passes
the signed-in user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.audit import Source, record_event
from itsm.errors import Conflict, DomainError
from itsm.models import Team, validate_time_zone

from . import engine, rules, selectors
from .models import Override, PersonalFeed, Rotation, RotationMember, Schedule, new_token

MAX_MEMBERS = 100
MAX_LAYER = 99
MAX_SHIFT_HOURS = 24 * 92
MAX_OVERRIDE = dt.timedelta(days=366)
# Fields whose change alters who is on call: editing them on a started rotation splits it.
SHIFT_FIELDS = {
    "layer",
    "kind",
    "shift_length_hours",
    "start_date",
    "handoff_time",
    "restriction",
    "windows",
    "members",
}


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not change this on-call schedule."))


def _lock_schedule(schedule_id: int) -> Schedule:
    try:
        return Schedule.objects.select_for_update().select_related("team").get(pk=schedule_id)
    except Schedule.DoesNotExist:
        raise DomainError(_("This on-call schedule does not exist."), field="schedule") from None


def _check_time_zone(value: str) -> None:
    try:
        validate_time_zone(value)
    except Exception:
        raise DomainError(
            _("Unknown time zone: %(tz)s") % {"tz": value}, field="time_zone"
        ) from None


def _check_level(team: Team, level: int, exclude: int | None = None) -> None:
    if not 1 <= int(level) <= 9:
        raise DomainError(_("The escalation level must be between 1 and 9."), field="level")
    clash = Schedule.objects.filter(team=team, level=level).exclude(pk=exclude)
    if clash.exists():
        raise DomainError(
            _("%(team)s already has a schedule for level %(level)s.")
            % {"team": team.name, "level": level},
            field="level",
        )


# --- Schedules -----------------------------------------------------------------------------


@transaction.atomic
def schedule_create(
    *,
    team: Team,
    name: str,
    time_zone: str,
    level: int = 1,
    description: str = "",
    actor,
    source: str,
) -> Schedule:
    if actor is not None:
        _require(rules.can_create_schedule(actor) or rules.can_edit_schedule(actor, team))
    Team.objects.select_for_update().filter(pk=team.pk).first()  # one level check at a time
    _check_time_zone(time_zone)
    _check_level(team, level)
    if not name.strip():
        raise DomainError(_("Give the schedule a name."), field="name")
    schedule = Schedule.objects.create(
        team=team, name=name.strip(), level=level, time_zone=time_zone, description=description
    )
    record_event(
        schedule,
        action="schedule_created",
        actor=actor,
        source=source,
        payload={"team": team.slug, "level": level, "time_zone": time_zone},
    )
    return schedule


@transaction.atomic
def schedule_update(*, schedule_id: int, actor, source: str, **changes: Any) -> Schedule:
    """Change name, level, time zone or description.

    A new time zone applies from now on: rotations already running end now and continue in
    successors that hand off at the same local times in the new zone.
    """
    schedule = _lock_schedule(schedule_id)
    if actor is not None:
        _require(rules.can_edit_schedule(actor, schedule.team))
    allowed = {"name", "level", "time_zone", "description"}
    if unknown := set(changes) - allowed:
        raise DomainError(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    before = {k: getattr(schedule, k) for k in changes}
    if "time_zone" in changes:
        _check_time_zone(changes["time_zone"])
    if "level" in changes and changes["level"] != schedule.level:
        _check_level(schedule.team, changes["level"], exclude=schedule.pk)
    if "name" in changes and not str(changes["name"]).strip():
        raise DomainError(_("Give the schedule a name."), field="name")
    old_zone = schedule.time_zone
    for key, value in changes.items():
        setattr(schedule, key, value)
    schedule.save()
    if schedule.time_zone != old_zone:
        now = timezone.now()
        for rotation in schedule.rotations.current(now).prefetch_related("members"):
            _apply_rotation_changes(rotation, {"time_zone": schedule.time_zone}, now)
    record_event(
        schedule,
        action="schedule_changed",
        actor=actor,
        source=source,
        payload={
            "before": {k: str(v) for k, v in before.items()},
            "after": {k: str(v) for k, v in changes.items()},
        },
    )
    return schedule


@transaction.atomic
def schedule_delete(*, schedule_id: int, actor, source: str) -> None:
    schedule = _lock_schedule(schedule_id)
    if actor is not None:
        _require(actor.has_perm("oncall.delete_schedule"))
    record_event(
        schedule,
        action="schedule_deleted",
        actor=actor,
        source=source,
        payload={"team": schedule.team.slug, "name": schedule.name},
    )
    schedule.delete()


@transaction.atomic
def schedule_rotate_token(*, schedule_id: int, actor, source: str) -> Schedule:
    """A new secret calendar address for the schedule; the old one stops working at once."""
    schedule = _lock_schedule(schedule_id)
    if actor is not None:
        _require(rules.can_edit_schedule(actor, schedule.team))
    schedule.ical_token = new_token()
    schedule.save(update_fields=["ical_token"])
    record_event(schedule, action="ical_token_rotated", actor=actor, source=source)
    return schedule


# --- Rotations -------------------------------------------------------------------------------


def _validate_rotation(schedule: Schedule, data: dict[str, Any]) -> None:
    if not str(data.get("name", "")).strip():
        raise DomainError(_("Give the rotation a name."), field="name")
    members = data.get("members") or []
    if not members:
        raise DomainError(_("A rotation needs at least one person."), field="members")
    if len(members) > MAX_MEMBERS:
        raise DomainError(_("A rotation can have at most 100 people."), field="members")
    if any(not getattr(m, "is_active", False) for m in members):
        raise DomainError(_("Only active users can be on call."), field="members")
    if data["kind"] not in Rotation.Kind.values:
        raise DomainError(_("Choose daily, weekly or a custom length."), field="kind")
    if data["kind"] == Rotation.Kind.CUSTOM and not (
        1 <= int(data.get("shift_length_hours") or 0) <= MAX_SHIFT_HOURS
    ):
        raise DomainError(
            _("A custom shift lasts from 1 hour to 92 days (2208 hours)."),
            field="shift_length_hours",
        )
    if not 1 <= int(data.get("layer", 1)) <= MAX_LAYER:
        raise DomainError(_("The layer must be between 1 and 99."), field="layer")
    restriction = data.get("restriction", Rotation.Restriction.NONE)
    if restriction not in Rotation.Restriction.values:
        raise DomainError(_("Unknown restriction."), field="restriction")
    if restriction == Rotation.Restriction.WINDOWS:
        windows = data.get("windows") or []
        if not windows:
            raise DomainError(_("Choose at least one set of days and hours."), field="windows")
        try:
            for window in windows:
                engine.Window.from_json(window)
        except ValueError as exc:
            raise DomainError(_("Invalid days and hours: %s") % exc, field="windows") from None
    if (
        restriction
        in (Rotation.Restriction.BUSINESS_HOURS, Rotation.Restriction.OUTSIDE_BUSINESS_HOURS)
        and schedule.team.calendar_id is None
    ):
        raise DomainError(
            _("The team has no business calendar, so it has no working hours to follow."),
            field="restriction",
        )


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    if out.get("restriction") != Rotation.Restriction.WINDOWS:
        out["windows"] = []
    else:
        out["windows"] = [engine.Window.from_json(w).as_json() for w in out["windows"]]
    if out.get("kind") == Rotation.Kind.DAILY:
        out["shift_length_hours"] = 24
    elif out.get("kind") == Rotation.Kind.WEEKLY:
        out["shift_length_hours"] = 168
    if isinstance(out.get("handoff_time"), dt.time):
        out["handoff_time"] = out["handoff_time"].replace(second=0, microsecond=0)
    return out


def _set_members(rotation: Rotation, members: Sequence) -> None:
    rotation.members.all().delete()
    RotationMember.objects.bulk_create(
        RotationMember(rotation=rotation, user=user, position=n) for n, user in enumerate(members)
    )


def _rotation_data(rotation: Rotation) -> dict[str, Any]:
    return {
        "name": rotation.name,
        "layer": rotation.layer,
        "kind": rotation.kind,
        "shift_length_hours": rotation.shift_length_hours,
        "start_date": rotation.start_date,
        "handoff_time": rotation.handoff_time,
        "restriction": rotation.restriction,
        "windows": rotation.windows,
        "time_zone": rotation.time_zone,
        "members": rotation.ordered_members(),
    }


def _payload(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (
            [m.username for m in v]
            if k == "members"
            else v
            if isinstance(v, list | int)
            else str(v)
        )
        for k, v in data.items()
    }


def _apply_rotation_changes(rotation: Rotation, changes: dict[str, Any], now: dt.datetime):
    """Change a rotation; one that has started ends now and a successor takes over."""
    fields = {k: v for k, v in changes.items() if k != "members"}
    shift_change = bool((set(changes) & SHIFT_FIELDS) or "time_zone" in changes)
    if shift_change and rotation.has_started(now):
        data = {**_rotation_data(rotation), **changes}
        members = data.pop("members")
        rotation.valid_until = now
        rotation.save(update_fields=["valid_until"])
        successor = Rotation.objects.create(
            schedule=rotation.schedule, valid_from=now, previous=rotation, **data
        )
        _set_members(successor, members)
        return successor
    for key, value in fields.items():
        setattr(rotation, key, value)
    rotation.save()
    if "members" in changes:
        _set_members(rotation, changes["members"])
    return rotation


@transaction.atomic
def rotation_create(*, schedule_id: int, actor, source: str, **data: Any) -> Rotation:
    """Add a rotation. It covers from now on; `start_date` and `handoff_time` set the phase
    (who is first and when hand-offs happen), even when that date is in the past."""
    schedule = _lock_schedule(schedule_id)
    if actor is not None:
        _require(rules.can_edit_schedule(actor, schedule.team))
    data.setdefault("kind", Rotation.Kind.WEEKLY)
    data.setdefault("restriction", Rotation.Restriction.NONE)
    _validate_rotation(schedule, data)
    data = _normalise(data)
    members = data.pop("members")
    now = timezone.now()
    rotation = Rotation.objects.create(
        schedule=schedule, time_zone=schedule.time_zone, valid_from=now, **data
    )
    _set_members(rotation, members)
    record_event(
        rotation,
        action="rotation_created",
        actor=actor,
        source=source,
        payload={**_payload({**data, "members": members}), "schedule": schedule.pk},
    )
    return rotation


@transaction.atomic
def rotation_update(*, rotation_id: int, actor, source: str, **changes: Any) -> Rotation:
    """Edit a rotation; returns the rotation in force afterwards (a successor if it had
    started, so that the shifts already worked stay as they were)."""
    rotation = Rotation.objects.select_related("schedule").get(pk=rotation_id)
    schedule = _lock_schedule(rotation.schedule_id)
    rotation = Rotation.objects.select_for_update().get(pk=rotation_id)
    rotation.schedule = schedule
    if actor is not None:
        _require(rules.can_edit_schedule(actor, schedule.team))
    now = timezone.now()
    if not rotation.is_current(now):
        raise Conflict(_("This rotation has ended; edit the rotation that replaced it."))
    allowed = SHIFT_FIELDS | {"name"}
    if unknown := set(changes) - allowed:
        raise DomainError(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    current = _rotation_data(rotation)
    merged = {**current, **changes}
    _validate_rotation(schedule, merged)
    merged = _normalise(merged)
    changed = {
        k: merged[k]
        for k in set(changes) | {"shift_length_hours", "windows"}
        if merged.get(k) != current.get(k)
    }
    if "members" in changed and [m.pk for m in changed["members"]] == [
        m.pk for m in current["members"]
    ]:
        del changed["members"]
    if not changed:
        return rotation
    result = _apply_rotation_changes(rotation, changed, now)
    record_event(
        result,
        action="rotation_changed",
        actor=actor,
        source=source,
        payload={
            "changes": _payload(changed),
            "replaces": rotation.pk if result != rotation else None,
        },
    )
    return result


@transaction.atomic
def rotation_end(*, rotation_id: int, actor, source: str) -> Rotation | None:
    """Stop a rotation now. One that never started is deleted; None is returned then."""
    rotation = Rotation.objects.get(pk=rotation_id)
    schedule = _lock_schedule(rotation.schedule_id)
    rotation = Rotation.objects.select_for_update().get(pk=rotation_id)
    if actor is not None:
        _require(rules.can_edit_schedule(actor, schedule.team))
    now = timezone.now()
    if not rotation.is_current(now):
        raise Conflict(_("This rotation has already ended."))
    if not rotation.has_started(now):
        record_event(
            schedule,
            action="rotation_deleted",
            actor=actor,
            source=source,
            payload={"rotation": rotation.pk, "name": rotation.name},
        )
        rotation.delete()
        return None
    rotation.valid_until = now
    rotation.save(update_fields=["valid_until"])
    record_event(rotation, action="rotation_ended", actor=actor, source=source)
    return rotation


# --- Overrides, swaps and take-overs ----------------------------------------------------------


def _check_period(start: dt.datetime, end: dt.datetime, now: dt.datetime) -> dt.datetime:
    """Validate a period; returns the start, moved up to now: overrides never rewrite the past."""
    if start.tzinfo is None or end.tzinfo is None:
        raise DomainError(_("Give times with a time zone."))
    if end <= start:
        raise DomainError(_("The end must be after the start."), field="end")
    if end <= now:
        raise DomainError(_("This period is already over."), field="end")
    if end - start > MAX_OVERRIDE:
        raise DomainError(_("An override lasts at most a year."), field="end")
    return max(start, now.replace(microsecond=0))


def _clashing(schedule: Schedule, user, start: dt.datetime, end: dt.datetime):
    """An active override taking every shift, by someone else, overlapping the period."""
    return (
        Override.objects.filter(
            schedule=schedule,
            status=Override.Status.ACTIVE,
            replaces__isnull=True,
            start__lt=end,
            end__gt=start,
        )
        .exclude(user=user)
        .select_related("user")
        .first()
    )


def _create_override(
    schedule: Schedule, *, user, start, end, replaces, reason, actor, source
) -> Override:
    if not getattr(user, "is_active", False):
        raise DomainError(_("Only active users can be on call."), field="user")
    if replaces is not None and replaces.pk == user.pk:
        raise DomainError(_("Nobody can take their own shift."), field="replaces")
    if replaces is None and (clash := _clashing(schedule, user, start, end)):
        raise Conflict(
            _("%(user)s already covers part of this period; cancel that override first.")
            % {"user": clash.user}
        )
    override = Override.objects.create(
        schedule=schedule,
        user=user,
        replaces=replaces,
        start=start,
        end=end,
        reason=reason[:200],
        created_by=actor,
    )
    record_event(
        override,
        action="override_created",
        actor=actor,
        source=source,
        payload={
            "schedule": schedule.pk,
            "user": user.username,
            "replaces": replaces.username if replaces else None,
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
    )
    from .tasks import notify_override

    if actor is not None and (actor.pk != user.pk or replaces is not None):
        notify_override.delay_on_commit(override.pk)
    return override


@transaction.atomic
def override_create(
    *,
    schedule_id: int,
    user,
    start: dt.datetime,
    end: dt.datetime,
    replaces=None,
    reason: str = "",
    actor,
    source: str,
) -> Override:
    """`user` takes the shifts in [start, end) — everyone's, or only `replaces`' (a swap).

    Team members may take shifts themselves; putting someone else on call needs a manager,
    an administrator or the team lead.
    """
    schedule = _lock_schedule(schedule_id)
    if actor is not None:
        self_service = actor.pk == user.pk
        _require(
            rules.can_take_shifts(actor, schedule.team)
            if self_service
            else rules.can_manage_overrides(actor, schedule.team)
        )
    start = _check_period(start, end, timezone.now())
    return _create_override(
        schedule,
        user=user,
        start=start,
        end=end,
        replaces=replaces,
        reason=reason,
        actor=actor,
        source=source,
    )


@transaction.atomic
def override_cancel(*, override_id: int, actor, source: str) -> Override:
    """Withdraw an override: by its holder, its creator, or someone who manages overrides."""
    override = Override.objects.select_related("schedule__team").get(pk=override_id)
    _lock_schedule(override.schedule_id)
    override = (
        Override.objects.select_for_update().select_related("schedule__team").get(pk=override_id)
    )
    if actor is not None:
        _require(
            actor.pk in (override.user_id, override.created_by_id)
            or rules.can_manage_overrides(actor, override.schedule.team)
        )
    now = timezone.now()
    if override.end <= now:
        raise Conflict(_("This override is already over."))
    before = override.status
    override.cancel(at=now)  # TransitionNotAllowed when already cancelled -> 409
    override.save()
    record_event(override, action="override_cancelled", actor=actor, source=source, before=before)
    return override


@transaction.atomic
def take_over(
    *,
    team: Team | str | int,
    user,
    start: dt.datetime | None,
    end: dt.datetime | None,
    actor,
    source: str = Source.WEB,
    level: int = 1,
    reason: str = "",
) -> Override:
    """ "I'll take it": `user` becomes on call for `team` from `start` (now when None) until
    `end` (when None: the end of the current on-call stretch, at the latest a day later).

    Clicking twice returns the same override; when someone else already took the period
    this is a Conflict naming them.
    """
    team_obj = selectors.team_by_key(team)
    if team_obj is None:
        raise DomainError(_("Unknown team."), field="team")
    found = Schedule.objects.filter(team=team_obj, level=level).values_list("pk", flat=True)
    if not found:
        raise DomainError(
            _("%(team)s has no on-call schedule yet.") % {"team": team_obj.name}, field="team"
        )
    schedule = _lock_schedule(found[0])
    if actor is not None:
        _require(
            rules.can_take_shifts(actor, team_obj)
            if actor.pk == user.pk
            else rules.can_manage_overrides(actor, team_obj)
        )
    now = timezone.now()
    start = start or now
    if end is None:
        detail = selectors.on_call_detail(team=team_obj, level=level, at=max(start, now))
        end = min(detail.until, start + dt.timedelta(days=1)) if detail and detail.until else None
        end = end or start + dt.timedelta(days=1)
    start = _check_period(start, end, now)
    existing = Override.objects.filter(
        schedule=schedule,
        user=user,
        status=Override.Status.ACTIVE,
        replaces__isnull=True,
        start__lte=start,
        end__gte=end,
    ).first()
    if existing:
        return existing
    return _create_override(
        schedule,
        user=user,
        start=start,
        end=end,
        replaces=None,
        reason=reason or _("Taken over"),
        actor=actor,
        source=source,
    )


# --- Personal calendar feed --------------------------------------------------------------------


@transaction.atomic
def feed_rotate(*, user, actor, source: str) -> PersonalFeed:
    """A new secret address for `user`'s calendar; the old address stops working at once."""
    if actor is not None and actor.pk != user.pk and not actor.has_perm("itsm.change_user"):
        raise PermissionDenied(_("You may only change your own calendar address."))
    feed, created = PersonalFeed.objects.select_for_update().get_or_create(user=user)
    if not created:
        feed.token = new_token()
        feed.save()
    record_event(user, action="oncall_feed_rotated", actor=actor, source=source)
    return feed
