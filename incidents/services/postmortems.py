"""Postmortems (draft → in review → published) and their action items with reminders."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.errors import Conflict, DomainError
from itsm.models import Team
from itsm.timers import services as timer_services
from itsm.timers.models import Timer

from .. import permissions as perms
from ..models import ActionItem, Incident, Notification, Postmortem, Status, TimelineEntry
from .base import Source, guard, record, require, required_text
from .notify import notify

REMINDER_KIND = "incidents.action_item_overdue"
REMINDER_INTERVAL = dt.timedelta(days=1)
EDITABLE_FIELDS = {"summary", "impact", "five_whys", "root_cause", "resolution", "prevention"}
MAX_WHYS = 5


def _lock(postmortem_id: int) -> Postmortem:
    try:
        return (
            Postmortem.objects.select_for_update(no_key=True, of=("self",))
            .select_related("incident")
            .get(pk=postmortem_id)
        )
    except Postmortem.DoesNotExist:
        raise Http404(_("No such postmortem.")) from None


@transaction.atomic
def postmortem_start(*, incident_id: int, actor, source: str) -> Postmortem:
    """Open a draft for any incident (P4 optional, P3 on request, P1/P2 opened at recovery)."""
    require(actor, perms.WRITE_POSTMORTEM)
    incident = (
        Incident.objects.select_for_update(no_key=True, of=("self",)).filter(pk=incident_id).first()
    )
    if incident is None:
        raise Http404(_("No such incident."))
    if incident.status == Status.MERGED:
        raise Conflict(_("A merged incident has no postmortem of its own."))
    postmortem, created = Postmortem.objects.get_or_create(
        incident=incident, defaults={"author": actor}
    )
    if created:
        record(
            incident,
            action="postmortem started",
            actor=actor,
            source=source,
            before=incident.status,
        )
    return postmortem


def _clean_whys(value) -> list[str]:
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list | tuple) or any(not isinstance(v, str) for v in value):
        raise DomainError(_("The five whys are a list of answers."), field="five_whys")
    whys = [why.strip() for why in value if why and why.strip()]
    if len(whys) > MAX_WHYS:
        raise DomainError(_("At most five whys."), field="five_whys")
    return whys


@transaction.atomic
def postmortem_update(*, postmortem_id: int, actor, source: str, **changes) -> Postmortem:
    require(actor, perms.WRITE_POSTMORTEM)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise DomainError(
            _("These fields cannot be edited: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    postmortem = _lock(postmortem_id)
    if postmortem.status != Postmortem.Status.DRAFT:
        raise Conflict(_("Only a draft can be edited; ask the reviewer to send it back."))
    if "five_whys" in changes:
        changes["five_whys"] = _clean_whys(changes["five_whys"])
    for name, value in changes.items():
        setattr(postmortem, name, value.strip() if isinstance(value, str) else value)
    if postmortem.author_id is None:
        postmortem.author = actor
    postmortem.save()
    record(
        postmortem,
        action="edited",
        actor=actor,
        source=source,
        before=postmortem.status,
        payload={"fields": sorted(changes)},
    )
    return postmortem


@transaction.atomic
def postmortem_add_entry(
    *, postmortem_id: int, actor, source: str, at: dt.datetime, text: str
) -> TimelineEntry:
    require(actor, perms.WRITE_POSTMORTEM)
    text = required_text(text, "text", _("Say what happened."))
    postmortem = _lock(postmortem_id)
    if postmortem.status == Postmortem.Status.PUBLISHED:
        raise Conflict(_("A published postmortem is final."))
    if at > timezone.now():
        raise DomainError(_("A timeline entry cannot lie in the future."), field="at")
    entry = TimelineEntry.objects.create(postmortem=postmortem, at=at, text=text, author=actor)
    record(
        postmortem,
        action="timeline entry added",
        actor=actor,
        source=source,
        before=postmortem.status,
        message=text,
    )
    return entry


@transaction.atomic
def postmortem_remove_entry(*, entry_id: int, actor, source: str) -> None:
    require(actor, perms.WRITE_POSTMORTEM)
    entry = TimelineEntry.objects.select_related("postmortem").filter(pk=entry_id).first()
    if entry is None:
        raise Http404(_("No such timeline entry."))
    postmortem = _lock(entry.postmortem_id)
    if postmortem.status == Postmortem.Status.PUBLISHED:
        raise Conflict(_("A published postmortem is final."))
    record(
        postmortem,
        action="timeline entry removed",
        actor=actor,
        source=source,
        before=postmortem.status,
        message=entry.text,
    )
    entry.delete()


@transaction.atomic
def postmortem_submit(*, postmortem_id: int, actor, source: str) -> Postmortem:
    postmortem = _lock(postmortem_id)
    guard(postmortem, "submit", actor)
    before = postmortem.status
    postmortem.submit(at=timezone.now())
    postmortem.save()
    record(postmortem, action="submitted", actor=actor, source=source, before=before)
    from .notify import users_with_role

    reviewers = [
        u for u in users_with_role("ops_manager", team=postmortem.incident.team) if u != actor
    ]
    notify(
        postmortem.incident,
        kind=Notification.Kind.POSTMORTEM,
        recipients=reviewers,
        subject=lambda: (
            _("Postmortem of %(ref)s is ready for review") % {"ref": postmortem.incident.reference}
        ),
    )
    return postmortem


@transaction.atomic
def postmortem_request_changes(
    *, postmortem_id: int, actor, source: str, comment: str
) -> Postmortem:
    comment = required_text(comment, "comment", _("Tell the author what to change."))
    postmortem = _lock(postmortem_id)
    guard(postmortem, "request_changes", actor)
    before = postmortem.status
    postmortem.request_changes(comment=comment)
    postmortem.save()
    record(
        postmortem,
        action="changes requested",
        actor=actor,
        source=source,
        before=before,
        message=comment,
    )
    if postmortem.author_id:
        notify(
            postmortem.incident,
            kind=Notification.Kind.POSTMORTEM,
            recipients=[postmortem.author],
            subject=lambda: (
                _("Postmortem of %(ref)s needs changes") % {"ref": postmortem.incident.reference}
            ),
            body=comment,
        )
    return postmortem


@transaction.atomic
def postmortem_publish(*, postmortem_id: int, actor, source: str) -> Postmortem:
    postmortem = _lock(postmortem_id)
    guard(postmortem, "publish", actor)
    before = postmortem.status
    postmortem.publish(by=actor, at=timezone.now())
    postmortem.save()
    record(postmortem, action="published", actor=actor, source=source, before=before)
    record(
        postmortem.incident,
        action="postmortem published",
        actor=actor,
        source=source,
        before=postmortem.incident.status,
    )
    return postmortem


# --- action items ---------------------------------------------------------------------------
def _reminder_due(item: ActionItem) -> dt.datetime:
    """The morning after the due date, in the team's time zone: then it is overdue."""
    calendar = item.team.calendar
    zone = zoneinfo.ZoneInfo(calendar.time_zone if calendar else "UTC")
    start = calendar.work_start if calendar else dt.time(9, 0)
    return dt.datetime.combine(item.due_date + dt.timedelta(days=1), start, tzinfo=zone)


def _arm_reminder(item: ActionItem) -> None:
    timer_services.timer_arm(subject=item, kind=REMINDER_KIND, due_at=_reminder_due(item))


@transaction.atomic
def action_item_add(
    *, postmortem_id: int, actor, source: str, title: str, owner, team: Team, due_date: dt.date
) -> ActionItem:
    require(actor, perms.MANAGE_ACTION_ITEMS)
    title = required_text(title, "title", _("Say what must be done."))
    postmortem = _lock(postmortem_id)
    if not owner.is_active:
        raise DomainError(_("The owner must be an active user."), field="owner")
    item = ActionItem.objects.create(
        postmortem=postmortem, title=title, owner=owner, team=team, due_date=due_date
    )
    _arm_reminder(item)
    record(
        postmortem,
        action="action item added",
        actor=actor,
        source=source,
        before=postmortem.status,
        message=title,
        payload={"item": item.pk},
    )
    notify(
        postmortem.incident,
        kind=Notification.Kind.ASSIGNED,
        recipients=[owner],
        subject=lambda: (
            _("Action item for %(ref)s, due %(due)s: %(title)s")
            % {"ref": postmortem.incident.reference, "due": due_date.isoformat(), "title": title}
        ),
    )
    return item


def _lock_item(item_id: int) -> ActionItem:
    item = (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("postmortem__incident", "team__calendar")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise Http404(_("No such action item."))
    return item


@transaction.atomic
def action_item_update(*, item_id: int, actor, source: str, **changes) -> ActionItem:
    require(actor, perms.MANAGE_ACTION_ITEMS)
    unknown = set(changes) - {"title", "owner", "team", "due_date"}
    if unknown:
        raise DomainError(
            _("These fields cannot be edited: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    item = _lock_item(item_id)
    if item.status != ActionItem.Status.OPEN:
        raise Conflict(_("Only an open action item can be changed."))
    if "title" in changes:
        changes["title"] = required_text(changes["title"], "title", _("Say what must be done."))
    for name, value in changes.items():
        setattr(item, name, value)
    item.save()
    if {"due_date", "team"} & set(changes):
        _arm_reminder(item)
    record(
        item.postmortem,
        action="action item changed",
        actor=actor,
        source=source,
        before=item.postmortem.status,
        payload={"item": item.pk, "fields": sorted(changes)},
    )
    return item


def _finish_item(item_id: int, *, actor, source: str, status: str, note: str) -> ActionItem:
    item = _lock_item(item_id)
    if (
        actor is not None
        and item.owner_id != actor.pk
        and not actor.has_perm(perms.MANAGE_ACTION_ITEMS)
    ):
        raise PermissionDenied(_("Only the owner or a responder can finish an action item."))
    if item.status != ActionItem.Status.OPEN:
        raise Conflict(_("The action item is already finished."))
    item.status, item.note, item.done_at = status, note, timezone.now()
    item.save(update_fields=["status", "note", "done_at"])
    timer_services.timer_cancel(subject=item, kind=REMINDER_KIND)
    record(
        item.postmortem,
        action=f"action item {status}",
        actor=actor,
        source=source,
        before=item.postmortem.status,
        message=item.title,
        payload={"item": item.pk},
    )
    return item


@transaction.atomic
def action_item_complete(*, item_id: int, actor, source: str, note: str = "") -> ActionItem:
    return _finish_item(
        item_id, actor=actor, source=source, status=ActionItem.Status.DONE, note=note
    )


@transaction.atomic
def action_item_cancel(*, item_id: int, actor, source: str, reason: str) -> ActionItem:
    require(actor, perms.MANAGE_ACTION_ITEMS)
    reason = required_text(reason, "reason", _("Say why the action item is dropped."))
    return _finish_item(
        item_id, actor=actor, source=source, status=ActionItem.Status.CANCELLED, note=reason
    )


def action_item_remind(timer: Timer, *, now: dt.datetime) -> bool:
    """Timer handler body: remind the owner of an overdue item, then again each day."""
    item = (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("postmortem__incident", "team__calendar", "owner")
        .filter(pk=int(timer.object_id))
        .first()
    )
    if item is None or item.status != ActionItem.Status.OPEN:
        return False
    if item.last_reminded_at is not None and item.last_reminded_at >= timer.due_at:
        return False  # this reminder went out already (a second delivery of the same timer)
    if now < _reminder_due(item):
        _arm_reminder(item)  # the due date moved later meanwhile
        return False
    item.reminders_sent += 1
    item.last_reminded_at = now
    item.save(update_fields=["reminders_sent", "last_reminded_at"])
    incident = item.postmortem.incident
    record(
        item.postmortem,
        action="action item overdue",
        actor=None,
        source=Source.TIMER,
        before=item.postmortem.status,
        message=item.title,
        payload={"item": item.pk, "reminder": item.reminders_sent},
    )
    notify(
        incident,
        kind=Notification.Kind.ACTION_ITEM,
        recipients=[item.owner],
        subject=lambda: (
            _("Overdue since %(due)s: %(title)s (%(ref)s)")
            % {"due": item.due_date.isoformat(), "title": item.title, "ref": incident.reference}
        ),
        at=now,
    )
    timer_services.timer_arm(
        subject=item, kind=REMINDER_KIND, due_at=timer.due_at + REMINDER_INTERVAL
    )
    return True
