"""Notifications: one log row per recipient (the in-app inbox), e-mailed by Celery on commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from itsm import roles
from itsm.models import Team
from itsm.recipients import recipient_locale

from ..models import EscalationLevel, Incident, Notification

User = get_user_model()


def users_with_role(role: str, *, team: Team | None = None) -> list:
    """Active users in a role: members of `team` first; everyone in the role if none."""
    in_role = User.objects.filter(is_active=True, groups__name=role).distinct().order_by("pk")
    if team is not None:
        scoped = list(in_role.filter(memberships__team=team))
        if scoped:
            return scoped
    return list(in_role)


def level_recipients(
    level: EscalationLevel, incident: Incident, at: datetime | None = None
) -> list:
    """Whom a level notifies, resolved when the step fires (hand-offs in between count)."""
    if level.target_type == EscalationLevel.TargetType.ONCALL:
        from oncall.selectors import on_call_for_level

        person = on_call_for_level(team=incident.team, level=level.schedule_level, at=at)
        if person is not None and person.is_active:
            return [person]
        return users_with_role(roles.ONCALL, team=incident.team)  # no schedule, or a gap
    if level.target_type == EscalationLevel.TargetType.PERSON:
        return [level.person] if level.person and level.person.is_active else []
    if level.target_type == EscalationLevel.TargetType.TEAM:
        return list(
            User.objects.filter(is_active=True, memberships__team_id=level.team_id)
            .distinct()
            .order_by("pk")
        )
    return users_with_role(level.role, team=incident.team)


def team_leads(team: Team) -> list:
    return list(
        User.objects.filter(is_active=True, memberships__team=team, memberships__is_lead=True)
        .distinct()
        .order_by("pk")
    )


Text = str | Callable[[], str]


def _render(text: Text) -> str:
    return str(text() if callable(text) else text)


def notify(
    incident: Incident,
    *,
    kind: str,
    recipients: Iterable,
    subject: Text,
    body: Text = "",
    at: datetime | None = None,
) -> list[Notification]:
    """Log the message for each recipient now; e-mail them once the transaction commits.

    `subject` and `body` may be callables: they are then rendered once per recipient, in
    that person's language and time zone (a Japanese on-call engineer reads Japanese even
    when a Korean colleague or a timer caused the message).

    Must run inside the transaction that records the fact, so a rolled-back fact leaves
    neither a log row nor an e-mail.
    """
    at = at or timezone.now()
    seen: set[int] = set()
    rows = []
    for user in recipients:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        with recipient_locale(user):
            subject_text, body_text = _render(subject), _render(body)
        rows.append(
            Notification(
                incident=incident,
                kind=kind,
                recipient=user,
                subject=subject_text[:250],
                body=body_text,
                created_at=at,
                email=user.email or "",
            )
        )
    created = Notification.objects.bulk_create(rows)
    ids = [row.pk for row in created if row.email]
    if ids:
        from ..tasks import send_notification_emails

        # robust: a broker that is down must not turn a committed fact into an error page;
        # the log row stays with emailed_at empty and the in-app inbox still shows it.
        transaction.on_commit(lambda: send_notification_emails.delay(ids), robust=True)
    return created


def mark_read(*, user, notification_ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.unread_for(user)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())
