"""The writers of the kernel's catalogue: teams and services.

Like every app's services: permission checked here, one transaction, an audit event with
actor and source. The API's viewsets call these instead of saving their serializers.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _

from .audit import record_event
from .errors import DomainError
from .models import Service, Team


def _require(actor, verb: str, model: type[models.Model]) -> None:
    if not actor.has_perm(f"itsm.{verb}_{model._meta.model_name}"):
        raise PermissionDenied


def _assign(obj: models.Model, fields: dict) -> list[str]:
    """Set the fields; the names of those whose value changed (all of them on a new object)."""
    changed = [
        name for name, value in fields.items() if obj.pk is None or getattr(obj, name) != value
    ]
    for name, value in fields.items():
        setattr(obj, name, value)
    return changed


@transaction.atomic
def team_save(*, team: Team | None, actor, source: str, **fields) -> Team:
    """Create a team (team=None) or change one."""
    _require(actor, "add" if team is None else "change", Team)
    team = team or Team()
    created = team.pk is None
    changed = _assign(team, fields)
    team.save()
    record_event(team, action="created" if created else "updated", actor=actor, source=source,
                 after="", payload={"fields": sorted(changed)})  # fmt: skip
    return team


@transaction.atomic
def service_save(
    *, service: Service | None, actor, source: str, depends_on: list[Service] | None = None,
    **fields,
) -> Service:  # fmt: skip
    """Create a service (service=None) or change one; `depends_on` replaces its dependencies."""
    _require(actor, "add" if service is None else "change", Service)
    service = service or Service()
    created = service.pk is None
    if depends_on is not None and any(d.pk == service.pk for d in depends_on if d.pk):
        raise DomainError(_("A service cannot depend on itself."), field="depends_on")
    changed = _assign(service, fields)
    service.save()
    if depends_on is not None:
        service.depends_on.set(depends_on)
        changed.append("depends_on")
    record_event(service, action="created" if created else "updated", actor=actor,
                 source=source, after="", payload={"fields": sorted(changed)})  # fmt: skip
    return service


@transaction.atomic
def catalogue_delete(*, obj: Team | Service, actor, source: str) -> None:
    """Delete a team or service; one still referenced is protected (409 from the API)."""
    _require(actor, "delete", type(obj))
    record_event(obj, action="deleted", actor=actor, source=source, after="",
                 payload={"name": obj.name})  # fmt: skip
    obj.delete()
