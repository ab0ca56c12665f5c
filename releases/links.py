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
    """((deployment, change), service id, change approved at, deployed at) for successful
    production deployments in [start, end) and each approved change the release carries."""
    from .models import Deployment, Environment

    rows = Deployment.objects.filter(
        environment=Environment.PRODUCTION,
        result=Deployment.Result.SUCCEEDED,
        finished_at__gte=start,
        finished_at__lt=end,
        release__changes__decided_at__isnull=False,
    )
    if services:
        rows = rows.filter(release__services__in=services)
    # One join row per (deployment, change, service); a rejected change was never approved.
    for deployment_id, change_id, status, service_id, approved_at, deployed_at in rows.values_list(
        "pk",
        "release__changes__pk",
        "release__changes__status",
        "release__services__pk",
        "release__changes__decided_at",
        "finished_at",
    ).distinct():
        if status == "rejected" or (services and service_id not in services):
            continue
        if approved_at is not None and approved_at <= deployed_at:
            yield (deployment_id, change_id), service_id, approved_at, deployed_at


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
    from django.utils.translation import gettext as _

    sections = []
    changes = list(release.changes.all())
    if changes:
        sections.append({"title": _("Changes"), "items": changes})
    return sections
