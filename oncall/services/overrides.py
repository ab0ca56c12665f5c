"""Overrides, swaps, "I'll take it" and the personal calendar address."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.audit import Source, record_event
from itsm.errors import Conflict, DomainError
from itsm.models import Team

from .. import rules, selectors
from ..models import Override, PersonalFeed, Schedule, new_token
from ._common import MAX_OVERRIDE, lock_schedule, require

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
    from ..tasks import notify_override

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
    schedule = lock_schedule(schedule_id)
    if actor is not None:
        self_service = actor.pk == user.pk
        require(
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
    lock_schedule(override.schedule_id)
    override = (
        Override.objects.select_for_update().select_related("schedule__team").get(pk=override_id)
    )
    if actor is not None:
        require(
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
    schedule = lock_schedule(found[0])
    if actor is not None:
        require(
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
