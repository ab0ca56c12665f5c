"""The incidents sections of the home page's "my work"."""

from django.urls import reverse
from django.utils.translation import gettext as _

from . import permissions as perms
from .models import ACTIVE, UNACKNOWLEDGED, ActionItem, Incident

LIMIT = 10


def my_incident_work(user) -> list[dict]:
    sections = [
        {
            "title": _("Incidents assigned to me"),
            "items": list(
                Incident.objects.filter(assignee=user, status__in=ACTIVE).order_by(
                    "next_due_at", "pk"
                )[:LIMIT]
            ),
            "url": reverse("incidents:list") + "?assignee=me&state=active",
            "empty": _("No incident is assigned to you."),
        }
    ]
    if user.has_perm(perms.WORK):
        sections.append(
            {
                "title": _("Unacknowledged incidents of my teams"),
                "items": list(
                    Incident.objects.filter(team__memberships__user=user, status__in=UNACKNOWLEDGED)
                    .distinct()
                    .order_by("next_due_at", "pk")[:LIMIT]
                ),
                "url": reverse("incidents:queue") + "?mine=1",
                "empty": _("Nothing waits for acknowledgement."),
            }
        )
    items = list(
        ActionItem.objects.open()
        .filter(owner=user)
        .select_related("postmortem")
        .order_by("due_date")[:LIMIT]
    )
    if items:
        sections.append(
            {
                "title": _("My postmortem action items"),
                "items": items,
                "url": reverse("incidents:action-items"),
                "empty": "",
            }
        )
    return sections
