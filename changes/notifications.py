"""Who hears about what, and the e-mail they get (in their own language)."""

from __future__ import annotations

from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from itsm import roles
from itsm.models import User
from itsm.recipients import portal_url, recipient_locale

from .models import Change

SUBJECTS = {
    "awaiting_approval": _("Waiting for your approval: %(ref)s %(title)s"),
    "reminder": _("Reminder: %(ref)s %(title)s still waits for your approval"),
    "decided": _("Decision on %(ref)s %(title)s: %(state)s"),
    "cancelled": _("Cancelled: %(ref)s %(title)s"),
    "scheduled": _("Scheduled: %(ref)s %(title)s"),
    "conflict": _("Conflict on the calendar: %(ref)s %(title)s"),
    "completed": _("Completed: %(ref)s %(title)s"),
    "failed": _("Verification failed: %(ref)s %(title)s"),
    "rolled_back": _("Rolled back: %(ref)s %(title)s"),
    "review_overdue": _("Post-implementation review overdue: %(ref)s %(title)s"),
}
LEADS = {
    "awaiting_approval": _("This change waits for your decision."),
    "reminder": _("This change is still waiting for your decision."),
    "decided": _("A decision was made on your change."),
    "cancelled": _("This change was cancelled."),
    "scheduled": _("This change is on the calendar."),
    "conflict": _("Another change overlaps this one on the same service. Check the calendar."),
    "completed": _("This change was implemented and verified."),
    "failed": _("Verification failed; the rollback plan applies."),
    "rolled_back": _("This change was rolled back; a review is due."),
    "review_overdue": _("The post-implementation review of this change is overdue."),
}


def approvers(change: Change):
    """Users holding the class's approver role who may still decide on this change."""
    parties = [pk for pk in (change.requester_id, change.implementer_id) if pk]
    return (
        User.objects.filter(groups__name=change.policy.approver_role, is_active=True)
        .exclude(pk__in=parties)
        .exclude(change_approvals__change=change)
        .distinct()
    )


def recipients(change: Change, event: str, actor_id: int | None) -> list[User]:
    people: dict[int, User] = {}

    def add(*users):
        for user in users:
            if user is not None:
                people[user.pk] = user

    if event in {"awaiting_approval", "reminder"}:
        add(*approvers(change))
    elif event == "scheduled":
        add(change.implementer)
    elif event == "review_overdue":
        add(change.requester, change.implementer)
        add(*User.objects.filter(groups__name=roles.OPS_MANAGER, is_active=True))
    else:
        add(change.requester, change.implementer)
    return [u for u in people.values() if u.email and u.is_active and (u.pk != actor_id)]


def build_messages(change: Change, event: str, actor_id: int | None) -> list[EmailMessage]:
    messages = []
    for user in recipients(change, event, actor_id):
        with recipient_locale(user):
            context = {
                "change": change,
                "lead": LEADS[event],
                "url": portal_url(change.get_absolute_url()),
                "user": user,
            }
            subject = SUBJECTS[event] % {
                "ref": change.reference,
                "title": change.title,
                "state": change.get_status_display(),
            }
            body = render_to_string("changes/email/notification.txt", context)
        messages.append(EmailMessage(subject=str(subject), body=body, to=[user.email]))
    return messages


def send(change_id: int, event: str, actor_id: int | None = None) -> int:
    change = (
        Change.objects.select_related("requester", "implementer", "owner_team")
        .filter(pk=change_id)
        .first()
    )
    if change is None or event not in SUBJECTS:
        return 0
    messages = build_messages(change, event, actor_id)
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0
