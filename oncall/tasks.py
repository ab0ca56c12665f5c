"""Notifications about overrides, sent after the override is committed."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from itsm.recipients import recipient_locale


@shared_task(
    name="oncall.notify_override",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def notify_override(override_id: int) -> None:
    """Tell the person put on call by someone else, and the person whose shifts were given
    away, what changed. A missing override (cancelled and deleted) sends nothing."""
    from .models import Override

    override = (
        Override.objects.select_related("schedule__team", "user", "replaces", "created_by")
        .filter(pk=override_id, status=Override.Status.ACTIVE)
        .first()
    )
    if override is None:
        return
    recipients = [override.user]
    if override.replaces is not None:
        recipients.append(override.replaces)
    for person in recipients:
        if not person.email or person.pk == override.created_by_id:
            continue
        with recipient_locale(person):
            period = "{} – {}".format(
                date_format(timezone.localtime(override.start), "SHORT_DATETIME_FORMAT"),
                date_format(timezone.localtime(override.end), "SHORT_DATETIME_FORMAT"),
            )
            subject = _("On call: %(schedule)s") % {"schedule": override.schedule}
            body = _(
                "%(user)s is on call for %(schedule)s from %(period)s%(instead)s.\n"
                "Set up by %(actor)s. Reason: %(reason)s"
            ) % {
                "user": override.user,
                "schedule": override.schedule,
                "period": period,
                "instead": (_(" instead of %s") % override.replaces) if override.replaces else "",
                "actor": override.created_by or _("the system"),
                "reason": override.reason or "–",
            }
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [person.email])
