"""E-mail about portal events: each user's preferences, the recipients of an event, and the
notice to a webhook's owner when the portal disabled it."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from itsm.errors import DomainError
from itsm.models import Membership

from ..events import EVENT_VALUES, team_id_of
from ..models import EmailNotification, EmailSubscription, NotificationPreference

User = get_user_model()
Scope = NotificationPreference.Scope


def preferences_for(user) -> tuple[NotificationPreference, set[str]]:
    pref = NotificationPreference.objects.filter(user=user).first() or NotificationPreference(
        user=user
    )
    events = set(EmailSubscription.objects.filter(user=user).values_list("event_type", flat=True))
    return pref, events


@transaction.atomic
def preferences_update(
    *, user, language: str = "", scope: str = Scope.TEAMS, event_types: Iterable[str] = ()
) -> NotificationPreference:
    """A user sets their own preferences (nobody else's: there is no actor argument)."""
    event_types = set(event_types)
    unknown = event_types - set(EVENT_VALUES)
    if unknown:
        raise DomainError(
            _("Unknown events: %(e)s") % {"e": ", ".join(sorted(unknown))}, field="event_types"
        )
    if language and language not in dict(settings.LANGUAGES):
        raise DomainError(_("Unknown language."), field="language")
    if scope not in Scope.values:
        raise DomainError(_("Unknown scope."), field="scope")
    pref, _created = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    pref.language, pref.scope = language, scope
    pref.save()
    EmailSubscription.objects.filter(user=user).exclude(event_type__in=event_types).delete()
    have = set(EmailSubscription.objects.filter(user=user).values_list("event_type", flat=True))
    EmailSubscription.objects.bulk_create(
        EmailSubscription(user=user, event_type=e) for e in sorted(event_types - have)
    )
    return pref


def _may_view(user_ids: list[int], subject) -> set[int]:
    """Who of `user_ids` holds the view permission of the subject's model (one query)."""
    content_type = ContentType.objects.get_for_model(subject)
    perm = Permission.objects.filter(
        content_type=content_type, codename=f"view_{content_type.model}"
    ).first()
    condition = Q(is_superuser=True)
    if perm is not None:
        condition |= Q(groups__permissions=perm) | Q(user_permissions=perm)
    return set(User.objects.filter(pk__in=user_ids).filter(condition).values_list("pk", flat=True))


def dispatch_emails(audit_event, event_type: str, subject) -> list[EmailNotification]:
    """One e-mail row per subscribed user who may see the subject (and, with the "teams"
    scope, belongs to its team); never to the person who did it. Sent after commit."""
    if subject is None:
        return []
    subs = list(
        EmailSubscription.objects.filter(event_type=event_type, user__is_active=True)
        .exclude(user__email="")
        .exclude(user_id=audit_event.actor_id or 0)
        .select_related("user__notification_preference")
    )
    if not subs:
        return []
    ids = [s.user_id for s in subs]
    allowed = _may_view(ids, subject)
    team_id = team_id_of(subject)
    in_team = (
        set(
            Membership.objects.filter(team_id=team_id, user_id__in=ids).values_list(
                "user_id", flat=True
            )
        )
        if team_id
        else set()
    )
    rows = []
    for sub in subs:
        user = sub.user
        pref = getattr(user, "notification_preference", None) or NotificationPreference(user=user)
        if user.pk not in allowed:
            continue
        if pref.scope == Scope.TEAMS and user.pk not in in_team:
            continue
        rows.append(
            EmailNotification(
                recipient=user,
                audit_event=audit_event,
                event_type=event_type,
                email=user.email,
                language=pref.email_language(),
            )
        )
    created = EmailNotification.objects.bulk_create(rows, ignore_conflicts=False)
    ids = [row.pk for row in created]
    if ids:
        from ..tasks import send_event_emails

        transaction.on_commit(lambda: send_event_emails.delay(ids), robust=True)
    return created


def notify_webhook_disabled(subscription) -> None:
    from ..tasks import send_webhook_disabled_email

    pk = subscription.pk
    transaction.on_commit(lambda: send_webhook_disabled_email.delay(pk), robust=True)
