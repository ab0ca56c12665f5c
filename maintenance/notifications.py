"""E-mails: failed runs to the administrators, scheduled updates to the affected teams."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm import roles

from .models import MaintenanceRun, PendingUpdate

OUTPUT_LINES = 20


def administrator_emails() -> list[str]:
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.ADMINISTRATOR)
        .exclude(email="")
    )
    emails = set(users.values_list("email", flat=True))
    emails.update(email for _name, email in getattr(settings, "ADMINS", []))
    return sorted(emails)


def _link(path: str) -> str:
    base = settings.PORTAL_BASE_URL
    return f"{base}{path}"


def send_run_failed(run_id: int) -> int:
    run = MaintenanceRun.objects.select_related("plan").get(pk=run_id)
    recipients = administrator_emails()
    if not recipients:
        return 0
    lines = [run.summary, ""]
    for job_run in run.job_runs.all():
        lines.append(f"[{job_run.get_status_display()}] {job_run.name}")
        if job_run.status in ("failed", "warning"):
            lines += [f"    {line}" for line in job_run.output.splitlines()[:OUTPUT_LINES]]
    lines += ["", _link(reverse("maintenance:run_detail", args=[run.pk]))]
    sent = send_mail(
        subject=_("[ITSM] Maintenance failed: %(plan)s") % {"plan": run.plan.name},
        message="\n".join(lines),
        from_email=None,
        recipient_list=recipients,
    )
    MaintenanceRun.objects.filter(pk=run.pk).update(notified_at=timezone.now())
    return sent


def stakeholder_emails(update: PendingUpdate) -> list[str]:
    emails: set[str] = set()
    for service in update.affected_services.select_related("owner_team"):
        team = service.owner_team
        if team.email:
            emails.add(team.email)
        else:
            emails.update(team.members.filter(is_active=True).exclude(email="").values_list(
                "email", flat=True))  # fmt: skip
    return sorted(emails)


def send_update_scheduled(update_id: int) -> int:
    update = PendingUpdate.objects.get(pk=update_id)
    recipients = stakeholder_emails(update) or administrator_emails()
    if not recipients:
        return 0
    body = _(
        "%(component)s %(version)s will be applied in the maintenance window "
        "“%(window)s” from %(start)s to %(end)s (UTC) as change %(change)s.\n\n"
        "Affected services: %(services)s\n\n%(analysis)s\n\n%(link)s"
    ) % {
        "component": update.component,
        "version": update.version,
        "window": update.window_name,
        "start": f"{update.window_start:%Y-%m-%d %H:%M}",
        "end": f"{update.window_end:%Y-%m-%d %H:%M}",
        "change": update.change_reference,
        "services": ", ".join(s.name for s in update.affected_services.all()) or "-",
        "analysis": update.analysis,
        "link": _link(reverse("maintenance:update_detail", args=[update.pk])),
    }
    return send_mail(
        subject=_("[ITSM] Update scheduled: %(update)s") % {"update": update},
        message=body,
        from_email=None,
        recipient_list=recipients,
    )
