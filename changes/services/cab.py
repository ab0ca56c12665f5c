"""CAB meetings: an agenda of the changes awaiting a CAB decision; votes go through
changes.services.approvals.change_vote."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from itsm.audit import record_event
from itsm.errors import Conflict
from itsm.models import User

from ..models import CabMeeting, Change, ChangeClassPolicy, Status
from ._base import require_text


def awaiting_cab_decision():
    """Changes waiting for a CAB vote, by their class policy."""
    classes = ChangeClassPolicy.objects.filter(cab_vote=True).values_list("change_class", flat=True)
    return Change.objects.filter(status=Status.AWAITING_APPROVAL, change_class__in=list(classes))


def _lock(meeting_id: int) -> CabMeeting:
    try:
        return CabMeeting.objects.select_for_update().get(pk=meeting_id)
    except CabMeeting.DoesNotExist:
        raise Http404(_("No such meeting.")) from None


@transaction.atomic
def cab_meeting_create(
    *, actor: User, source: str, title: str, starts_at: datetime, location: str = "",
    chair: User | None = None,
) -> CabMeeting:  # fmt: skip
    """Plan a meeting; its agenda starts with every change awaiting a CAB decision."""
    if not actor.has_perm("changes.add_cabmeeting"):
        raise PermissionDenied(_("You may not plan CAB meetings."))
    meeting = CabMeeting.objects.create(
        title=require_text(title, "title", _("A title is required.")),
        starts_at=starts_at,
        location=location,
        chair=chair or actor,
    )
    meeting.agenda.set(awaiting_cab_decision())
    record_event(meeting, action="create", actor=actor, source=source, after=meeting.status)
    return meeting


@transaction.atomic
def cab_meeting_refresh_agenda(*, meeting_id: int, actor: User, source: str) -> CabMeeting:
    """Add the changes that started waiting since the meeting was planned."""
    if not actor.has_perm("changes.change_cabmeeting"):
        raise PermissionDenied(_("You may not change CAB meetings."))
    meeting = _lock(meeting_id)
    if meeting.status != CabMeeting.Status.PLANNED:
        raise Conflict(_("The meeting was already held."))
    meeting.agenda.add(*awaiting_cab_decision())
    return meeting


@transaction.atomic
def cab_meeting_close(*, meeting_id: int, actor: User, source: str, minutes: str) -> CabMeeting:
    if not actor.has_perm("changes.change_cabmeeting"):
        raise PermissionDenied(_("You may not change CAB meetings."))
    meeting = _lock(meeting_id)
    if meeting.status != CabMeeting.Status.PLANNED:
        raise Conflict(_("The meeting was already held."))
    meeting.minutes = require_text(minutes, "minutes", _("Write the minutes."))
    meeting.status = CabMeeting.Status.HELD
    meeting.save()
    record_event(
        meeting, action="hold", actor=actor, source=source, before=CabMeeting.Status.PLANNED,
        after=meeting.status,
    )  # fmt: skip
    return meeting
