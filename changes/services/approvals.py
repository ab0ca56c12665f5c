"""Decisions: approvals by the class's approver role and CAB votes.

Concurrency: each decision locks the change row first, so two approvers deciding at the same
instant are serialised: the second sees the first's approval when it counts, and the
transition to approved happens exactly once. The unique (change, approver) constraint backs
the "one decision per person" rule in the database.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.errors import Conflict, DomainError
from itsm.models import User
from itsm.timers.services import timer_cancel

from ..models import Approval, CabMeeting, Change, Decision, Status, Tally
from ._base import check_permission, check_state, lock_change, notify, transit
from .lifecycle import REMINDER

SOD_MESSAGE = _(
    "You requested or will implement this change, so you cannot approve it or vote on it "
    "(segregation of duties)."
)


def ensure_segregation(change: Change, actor: User) -> None:
    """Nobody decides on a change they requested or will implement, whatever door they use."""
    if change.is_party(actor):
        raise PermissionDenied(SOD_MESSAGE)


def count_decisions(change: Change) -> Tally:
    rows = Approval.objects.filter(change=change).values("decision").annotate(n=Count("pk"))
    return Tally(**{row["decision"]: row["n"] for row in rows})


def _decide(
    *,
    change_id: int,
    actor: User,
    source: str,
    verb: str,
    decision: str,
    comment: str = "",
    meeting_id: int | None = None,
) -> Change:
    change = lock_change(change_id)
    check_state(change, verb)
    ensure_segregation(change, actor)
    if Approval.objects.filter(change=change, approver=actor).exists():
        raise Conflict(_("You have already decided on this change."))
    check_permission(change, verb, actor)
    if decision not in Decision.values:
        raise DomainError(_("Unknown decision."), field="decision")
    if decision == Decision.REJECT and not comment.strip():
        raise DomainError(_("Say why you reject the change."), field="comment")
    meeting = None
    if meeting_id is not None:
        meeting = CabMeeting.objects.filter(pk=meeting_id).first()
        if meeting is None or meeting.status == CabMeeting.Status.CANCELLED:
            raise DomainError(_("No such CAB meeting."), field="meeting")
    now = timezone.now()
    Approval.objects.create(
        change=change,
        approver=actor,
        decision=decision,
        comment=comment.strip(),
        at=now,
        meeting=meeting,
        source=source,
    )
    tally = count_decisions(change)
    transit(
        change, verb, actor=actor, source=source, check=False, message=comment.strip(),
        payload={"decision": decision, "approve": tally.approve, "reject": tally.reject,
                 "abstain": tally.abstain},
        tally=tally, at=now,
    )  # fmt: skip
    if change.status != Status.AWAITING_APPROVAL:
        timer_cancel(subject=change, kind=REMINDER)
        notify(change.pk, "decided", actor)
    return change


@transaction.atomic
def change_approve(*, change_id: int, actor: User, source: str, comment: str = "") -> Change:
    return _decide(
        change_id=change_id, actor=actor, source=source, verb="approve",
        decision=Decision.APPROVE, comment=comment,
    )  # fmt: skip


@transaction.atomic
def change_reject(*, change_id: int, actor: User, source: str, comment: str) -> Change:
    return _decide(
        change_id=change_id, actor=actor, source=source, verb="reject",
        decision=Decision.REJECT, comment=comment,
    )  # fmt: skip


@transaction.atomic
def change_vote(
    *,
    change_id: int,
    actor: User,
    source: str,
    decision: str,
    comment: str = "",
    meeting_id: int | None = None,
) -> Change:
    """A CAB member's vote (approve / reject / abstain, with a comment)."""
    return _decide(
        change_id=change_id, actor=actor, source=source, verb="vote", decision=decision,
        comment=comment, meeting_id=meeting_id,
    )  # fmt: skip
