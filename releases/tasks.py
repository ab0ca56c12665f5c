"""Notifications of the releases app: e-mail to the owning team and the release manager."""

from celery import shared_task
from django.core.mail import send_mail
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.recipients import recipient_locale

SUBJECTS = {
    "promote_to_production": gettext_lazy("promoted to production"),
    "deployed_to_production": gettext_lazy("deployed to production"),
    "complete": gettext_lazy("done"),
    "rollback": gettext_lazy("rolled back"),
    "fail_test": gettext_lazy("failed in test"),
    "fail_staging": gettext_lazy("failed in staging"),
    "canary_window": gettext_lazy("canary observed: ready for production"),
}


@shared_task(acks_late=True, autoretry_for=(OSError,), max_retries=3, retry_backoff=True)
def notify_release(release_id: int, event: str) -> int:
    """Mail the team and the manager about a release event. Returns the number of recipients."""
    from .models import Release

    release = Release.objects.select_related("team", "manager").filter(pk=release_id).first()
    if release is None:
        return 0
    recipients = sorted(
        {r for r in (release.team.email, getattr(release.manager, "email", "")) if r}
    )
    if not recipients:
        return 0
    with recipient_locale(release.manager):
        subject = _("Release %(version)s %(what)s") % {
            "version": release.version,
            "what": str(SUBJECTS.get(event, event)),
        }
        body = "\n".join(
            filter(
                None,
                [
                    str(release),
                    _("Stage: %(stage)s") % {"stage": release.get_stage_display()},
                    release.last_failure_reason
                    if event in {"rollback", "fail_test", "fail_staging"}
                    else "",
                    release.get_absolute_url(),
                ],
            )
        )
    send_mail(subject, body, None, recipients)
    return len(recipients)
