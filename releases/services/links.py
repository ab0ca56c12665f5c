"""Link an incident to the deployment that caused it (DORA: failed change, time to restore)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from incidents.models import Incident
from itsm.audit import record_event
from itsm.errors import DomainError

from .. import permissions as perms
from ..models import Deployment, DeploymentIncident, Environment, Release


@transaction.atomic
def deployment_link_incident(
    *, deployment_id: int, incident_id: int, actor, source: str
) -> tuple[DeploymentIncident, bool]:
    """Idempotent: linking the same incident twice is one link."""
    if not actor.has_perm(perms.LINK_INCIDENT):
        raise PermissionDenied(_("You may not link incidents to deployments."))
    deployment = Deployment.objects.select_related("release").get(pk=deployment_id)
    Release.objects.select_for_update().get(pk=deployment.release_id)
    if deployment.environment not in (Environment.CANARY, Environment.PRODUCTION):
        raise DomainError(
            _("Only canary and production deployments reach users and can cause incidents."),
            field="deployment",
        )
    if not Incident.objects.filter(pk=incident_id).exists():
        raise DomainError(
            _("There is no incident INC-%(n)05d.") % {"n": incident_id}, field="incident"
        )
    link, created = DeploymentIncident.objects.get_or_create(
        deployment=deployment, incident_id=incident_id, defaults={"linked_by": actor}
    )
    if created:
        record_event(
            deployment.release,
            action="incident linked",
            actor=actor,
            source=source,
            before=deployment.release.stage,
            after=deployment.release.stage,
            payload={"deployment": deployment.pk, "incident": incident_id},
        )
    return link, created


@transaction.atomic
def deployment_unlink_incident(*, deployment_id: int, incident_id: int, actor, source: str) -> bool:
    if not actor.has_perm(perms.LINK_INCIDENT):
        raise PermissionDenied(_("You may not link incidents to deployments."))
    deployment = Deployment.objects.select_related("release").get(pk=deployment_id)
    Release.objects.select_for_update().get(pk=deployment.release_id)
    deleted, _rows = DeploymentIncident.objects.filter(
        deployment=deployment, incident_id=incident_id
    ).delete()
    if deleted:
        record_event(
            deployment.release,
            action="incident unlinked",
            actor=actor,
            source=source,
            before=deployment.release.stage,
            after=deployment.release.stage,
            payload={"deployment": deployment.pk, "incident": incident_id},
        )
    return bool(deleted)
