"""Where releases meet the changes and incidents apps: one module, so the rest of the app
never imports them directly.

While those apps are not installed the lookups answer "nothing": no change covers a release
(so production stays closed), no lead-time or restore samples.
"""

from __future__ import annotations

from datetime import datetime

from django.apps import apps
from django.db.models import QuerySet

from .models import DeploymentIncident


def model_or_none(app_label: str, model_name: str):
    try:
        return apps.get_model(app_label, model_name)
    except LookupError:
        return None


def incidents_caused_by(deployment_ref) -> QuerySet[DeploymentIncident]:
    """Links from a deployment (an id or an OuterRef) to the incidents it caused."""
    return DeploymentIncident.objects.filter(deployment=deployment_ref)


def lead_time_samples(*, start: datetime, end: datetime, services: list[int] | None):
    """(key, service id, change approved at, deployed at) for production deployments in
    [start, end). Empty until the changes app provides approved changes."""
    return []


def restore_samples(*, start: datetime, end: datetime, services: list[int] | None):
    """(key, service id, incident started at, recovered at) for incidents caused by a
    deployment and recovered in [start, end). Empty until the incidents app is installed."""
    return []


def incident_exists(incident_id: int) -> bool:
    Incident = model_or_none("incidents", "Incident")
    if Incident is None:
        return True  # nothing to check against until the incidents app lands
    return Incident.objects.filter(pk=incident_id).exists()


def content_sections(release) -> list[dict]:
    """Linked changes and incidents fixed, as release-notes sections ({title, items})."""
    return []
