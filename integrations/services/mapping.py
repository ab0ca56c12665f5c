"""Where an alert goes (service and team) and how urgent it is (priority or no incident).

Pure reads: the integration's rules and severity map are loaded once per delivery.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from incidents.models import Priority
from itsm.models import Service, Team

from ..models import NO_INCIDENT, Integration

PRIORITY_ORDER = {p: i for i, p in enumerate(Priority.values)}  # P1 first


@dataclass(frozen=True)
class Target:
    service: Service
    team: Team
    rule_id: int | None = None


def _by_slug_or_name(queryset, value: str):
    if not value:
        return None
    return queryset.filter(Q(slug=value) | Q(name__iexact=value)).order_by("pk").first()


def resolve_target(integration: Integration, label_sets: Iterable[dict]) -> Target:
    """The first rule matching any label set wins; else the service/team labels; else the
    integration's defaults. The team defaults to the service's owner team."""
    label_sets = [labels for labels in label_sets if labels]
    rules = list(integration.rules.select_related("service__owner_team", "team"))
    for labels in label_sets:
        for rule in rules:
            if rule.matches(labels):
                service = rule.service or integration.default_service
                team = rule.team or (
                    service.owner_team if rule.service else integration.team_for(service)
                )
                return Target(service, team, rule.pk)
    service = team = None
    for labels in label_sets:
        if service is None and integration.service_label:
            service = _by_slug_or_name(
                Service.objects.filter(is_active=True).select_related("owner_team"),
                labels.get(integration.service_label, ""),
            )
        if team is None and integration.team_label:
            team = _by_slug_or_name(Team.objects.all(), labels.get(integration.team_label, ""))
    if service is None:
        service = integration.default_service
        team = team or integration.team_for(service)
    return Target(service, team or service.owner_team)


def severity_map(integration: Integration) -> dict[str, str]:
    return dict(integration.severities.values_list("severity", "priority"))


def priority_for(integration: Integration, severities: Iterable[str], mapping=None) -> str:
    """The most urgent priority among the severities; NO_INCIDENT when all map to none.

    A missing or unmapped severity gets the integration's fallback priority.
    """
    mapping = severity_map(integration) if mapping is None else mapping
    best = None
    for severity in severities:
        key = (severity or "").strip().lower()
        priority = (
            mapping.get(key, integration.unknown_severity_priority)
            if key
            else (integration.unknown_severity_priority)
        )
        if priority and (best is None or PRIORITY_ORDER[priority] < PRIORITY_ORDER[best]):
            best = priority
    return best or NO_INCIDENT


def more_urgent(a: str, b: str) -> bool:
    """True when priority `a` is more urgent than `b` (P1 beats P3)."""
    return bool(a) and (not b or PRIORITY_ORDER[a] < PRIORITY_ORDER[b])
