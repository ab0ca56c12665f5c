"""Schedules and rotations. A rotation that has started is never rewritten: an edit ends
it now and starts a successor, so shifts already worked stay as they were."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.audit import record_event
from itsm.errors import Conflict, DomainError
from itsm.models import Team

from .. import engine, rules
from ..models import Rotation, RotationMember, Schedule, new_token
from ._common import (
    MAX_LAYER,
    MAX_MEMBERS,
    MAX_SHIFT_HOURS,
    SHIFT_FIELDS,
    check_level,
    check_time_zone,
    lock_schedule,
    require,
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
        require(rules.can_create_schedule(actor) or rules.can_edit_schedule(actor, team))
    Team.objects.select_for_update().filter(pk=team.pk).first()  # one level check at a time
    check_time_zone(time_zone)
    check_level(team, level)
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
    schedule = lock_schedule(schedule_id)
    if actor is not None:
        require(rules.can_edit_schedule(actor, schedule.team))
    allowed = {"name", "level", "time_zone", "description"}
    if unknown := set(changes) - allowed:
        raise DomainError(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    before = {k: getattr(schedule, k) for k in changes}
    if "time_zone" in changes:
        check_time_zone(changes["time_zone"])
    if "level" in changes and changes["level"] != schedule.level:
        check_level(schedule.team, changes["level"], exclude=schedule.pk)
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
    schedule = lock_schedule(schedule_id)
    if actor is not None:
        require(actor.has_perm("oncall.delete_schedule"))
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
    schedule = lock_schedule(schedule_id)
    if actor is not None:
        require(rules.can_edit_schedule(actor, schedule.team))
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
    schedule = lock_schedule(schedule_id)
    if actor is not None:
        require(rules.can_edit_schedule(actor, schedule.team))
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
    schedule = lock_schedule(rotation.schedule_id)
    rotation = Rotation.objects.select_for_update().get(pk=rotation_id)
    rotation.schedule = schedule
    if actor is not None:
        require(rules.can_edit_schedule(actor, schedule.team))
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
    schedule = lock_schedule(rotation.schedule_id)
    rotation = Rotation.objects.select_for_update().get(pk=rotation_id)
    if actor is not None:
        require(rules.can_edit_schedule(actor, schedule.team))
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
