"""Managing intake integrations: create, edit, rotate the token, mapping rules, severities."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.errors import DomainError
from itsm.models import Service, Team

from .. import permissions as perms
from ..models import (
    DEFAULT_SEVERITIES,
    Integration,
    MappingRule,
    SeverityMapping,
    hash_token,
)
from .base import record, require
from .retention import purge_schedule

TOKEN_PREFIX = "itk_"
EDITABLE = {
    "name",
    "description",
    "is_active",
    "default_service",
    "default_team",
    "severity_label",
    "service_label",
    "team_label",
    "unknown_severity_priority",
    "resolve_policy",
    "rate_limit",
    "retention_days",
    "owner",
}


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def authenticate_token(token: str) -> Integration | None:
    """The integration this token belongs to: its current token, or the previous one during
    the grace period after a rotation (so Alertmanager can be reconfigured without loss)."""
    if not token or len(token) > 200:
        return None
    digest = hash_token(token)
    return (
        Integration.objects.select_related("default_service__owner_team", "default_team")
        .filter(
            Q(token_hash=digest)
            | Q(previous_token_hash=digest, previous_token_expires_at__gt=timezone.now())
        )
        .first()
    )


def _validated(integration: Integration) -> Integration:
    try:
        integration.full_clean(exclude=["token_hash"])
    except ValidationError as exc:
        raise DomainError(
            "; ".join(
                f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v)
                for k, v in exc.message_dict.items()
            )
        ) from None
    return integration


@transaction.atomic
def integration_create(
    *, actor, source: str, name: str, default_service: Service, **fields
) -> tuple[Integration, str]:
    """A new integration with the default severity map; returns it and its token, which is
    shown once and stored only as a hash."""
    require(actor, perms.ADD_INTEGRATION)
    unknown = set(fields) - EDITABLE
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    token = new_token()
    integration = Integration(
        name=(name or "").strip(),
        default_service=default_service,
        token_hash=hash_token(token),
        token_hint=token[:8],
        owner=fields.pop("owner", None) or (actor if getattr(actor, "pk", None) else None),
        **fields,
    )
    _validated(integration).save()
    SeverityMapping.objects.bulk_create(
        SeverityMapping(integration=integration, severity=severity, priority=priority)
        for severity, priority in DEFAULT_SEVERITIES.items()
    )
    record(integration, action="created", actor=actor, source=source, message=integration.name)
    purge_schedule(integration)
    return integration, token


def _lock(integration_id: int) -> Integration:
    try:
        return Integration.objects.select_for_update().get(pk=integration_id)
    except Integration.DoesNotExist:
        from django.http import Http404

        raise Http404(_("No such integration.")) from None


@transaction.atomic
def integration_update(*, integration_id: int, actor, source: str, **changes) -> Integration:
    require(actor, perms.MANAGE_INTEGRATION)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    integration = _lock(integration_id)
    changed = sorted(k for k, v in changes.items() if getattr(integration, k) != v)
    for name, value in changes.items():
        setattr(integration, name, value)
    _validated(integration).save()
    if changed:
        record(
            integration, action="edited", actor=actor, source=source, payload={"fields": changed}
        )
    return integration


@transaction.atomic
def integration_rotate_token(
    *, integration_id: int, actor, source: str, grace: timedelta = timedelta(hours=24)
) -> tuple[Integration, str]:
    """Issue a new token. The old one keeps working for `grace` (zero: revoked at once)."""
    require(actor, perms.MANAGE_INTEGRATION)
    if grace < timedelta(0) or grace > timedelta(days=30):
        raise DomainError(_("The grace period is between 0 and 30 days."), field="grace")
    integration = _lock(integration_id)
    now = timezone.now()
    token = new_token()
    if grace:
        integration.previous_token_hash = integration.token_hash
        integration.previous_token_expires_at = now + grace
    else:
        integration.previous_token_hash, integration.previous_token_expires_at = "", None
    integration.token_hash, integration.token_hint = hash_token(token), token[:8]
    integration.token_rotated_at = now
    integration.save()
    record(
        integration,
        action="token rotated",
        actor=actor,
        source=source,
        payload={"grace_seconds": int(grace.total_seconds())},
    )
    return integration, token


@transaction.atomic
def integration_delete(*, integration_id: int, actor, source: str) -> None:
    require(actor, perms.DELETE_INTEGRATION)
    integration = _lock(integration_id)
    record(integration, action="deleted", actor=actor, source=source, message=integration.name)
    integration.delete()


@transaction.atomic
def rule_add(
    *,
    integration_id: int,
    actor,
    source: str,
    matchers: dict,
    service: Service | None = None,
    team: Team | None = None,
    position: int | None = None,
) -> MappingRule:
    require(actor, perms.MANAGE_INTEGRATION)
    integration = _lock(integration_id)
    if position is None:
        last = integration.rules.order_by("-position").values_list("position", flat=True).first()
        position = (last or 0) + 10
    rule = MappingRule(
        integration=integration, matchers=matchers, service=service, team=team, position=position
    )
    try:
        rule.full_clean()
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="matchers") from None
    rule.save()
    record(integration, action="rule added", actor=actor, source=source, message=str(rule))
    return rule


@transaction.atomic
def rule_delete(*, rule_id: int, actor, source: str) -> None:
    require(actor, perms.MANAGE_INTEGRATION)
    rule = MappingRule.objects.select_related("integration").filter(pk=rule_id).first()
    if rule is None:
        raise DomainError(_("No such rule."))
    integration = _lock(rule.integration_id)
    record(integration, action="rule removed", actor=actor, source=source, message=str(rule))
    rule.delete()


@transaction.atomic
def severity_set(
    *, integration_id: int, actor, source: str, severity: str, priority: str
) -> SeverityMapping:
    """Map a severity value to a priority ("" opens no incident); replaces an existing row."""
    require(actor, perms.MANAGE_INTEGRATION)
    severity = (severity or "").strip().lower()
    if not severity or len(severity) > 50:
        raise DomainError(_("Name the severity (up to 50 characters)."), field="severity")
    from incidents.models import Priority

    if priority not in {"", *Priority.values}:
        raise DomainError(_("Unknown priority."), field="priority")
    integration = _lock(integration_id)
    row, _created = SeverityMapping.objects.update_or_create(
        integration=integration, severity=severity, defaults={"priority": priority}
    )
    record(
        integration,
        action="severity mapped",
        actor=actor,
        source=source,
        message=f"{severity} → {priority or '-'}",
    )
    return row


@transaction.atomic
def severity_delete(*, mapping_id: int, actor, source: str) -> None:
    require(actor, perms.MANAGE_INTEGRATION)
    row = SeverityMapping.objects.filter(pk=mapping_id).first()
    if row is None:
        raise DomainError(_("No such severity."))
    integration = _lock(row.integration_id)
    record(
        integration, action="severity unmapped", actor=actor, source=source, message=row.severity
    )
    row.delete()
