"""Where releases meet the changes and incidents apps: the DORA samples and the release-notes
sections that read their records. The production gate's change lookup is in gates.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from .models import Deployment, DeploymentIncident, Environment, Release

INCIDENTS_VIEW = "incidents.view_incident"


def incidents_caused_by(deployment_ref) -> QuerySet[DeploymentIncident]:
    """Links from a deployment (an id or an OuterRef) to the incidents it caused."""
    return DeploymentIncident.objects.filter(deployment=deployment_ref)


def lead_time_samples(
    *, start: datetime, end: datetime, services: list[int] | None
) -> Iterator[tuple]:
    """((deployment, change), service id, change approved at, deployed at) for successful
    production deployments in [start, end) and each approved change the release carries."""
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


def restore_samples(
    *, start: datetime, end: datetime, services: list[int] | None
) -> Iterator[tuple]:
    """(incident, service id, impact started at, recovered at) for incidents caused by a
    production or canary deployment and recovered in [start, end); the service is each
    service the deployed release ships."""
    rows = (
        DeploymentIncident.objects.filter(
            incident__recovered_at__gte=start, incident__recovered_at__lt=end
        )
        .annotate(began=Coalesce("incident__impact_started_at", "incident__detected_at"))
        .values_list(
            "incident_id", "deployment__release__services__pk", "began", "incident__recovered_at"
        )
        .distinct()
    )
    if services:
        rows = rows.filter(deployment__release__services__in=services)
    for incident_id, service_id, began, recovered_at in rows:
        if services and service_id not in services:
            continue
        if began is not None and began <= recovered_at:
            yield incident_id, service_id, began, recovered_at


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
