"""Release-notes sections from the changes and incidents a release links to. (The production
gate's change lookup is in gates.py; DORA's joins are in dora.py.)"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .models import Release

INCIDENTS_VIEW = "incidents.view_incident"


def content_sections(release: Release, user=None) -> list[dict]:
    """Linked changes and incidents fixed, as release-notes sections ({title, items}).

    Incident titles are shown only to people who may read incidents; others see references.
    """
    sections = []
    changes = list(release.changes.all())
    if changes:
        sections.append({"title": _("Changes"), "items": changes})
    incidents = list(release.incidents_fixed.all())
    if incidents:
        if user is None or not user.has_perm(INCIDENTS_VIEW):
            incidents = [incident.reference for incident in incidents]
        sections.append({"title": _("Incidents fixed"), "items": incidents})
    return sections
