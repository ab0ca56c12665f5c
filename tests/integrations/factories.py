"""Test data for integrations: integrations made through the services (so tokens, severity
maps and timers exist as in production) and Alertmanager payloads as version 0.25 sends them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.contrib.auth.models import Group

from integrations import services
from itsm import roles
from itsm.models import AuditEvent, BusinessCalendar, Membership
from tests.itsm.factories import ServiceFactory, TeamFactory, UserFactory

SYSTEM = AuditEvent.Source.SYSTEM
ZERO_TIME = "0001-01-01T00:00:00Z"
T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


def rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_world():
    calendar = BusinessCalendar.objects.get(country="KR")
    team = TeamFactory(name="Platform Ops", slug="platform-ops", calendar=calendar)
    other = TeamFactory(name="Database Team", slug="dba", calendar=calendar)
    payments = ServiceFactory(name="Payments API", slug="payments-api", owner_team=team)
    database = ServiceFactory(name="Orders DB", slug="orders-db", owner_team=other)
    users = {}
    for name, role in {
        "admin": roles.ADMINISTRATOR,
        "ops_manager": roles.OPS_MANAGER,
        "ops_leader": roles.OPS_LEADER,
        "oncall": roles.ONCALL,
        "requester": roles.REQUESTER,
    }.items():
        user = UserFactory(username=name)
        user.groups.add(Group.objects.get(name=role))
        users[name] = user
    Membership.objects.create(team=team, user=users["oncall"])
    Membership.objects.create(team=team, user=users["ops_leader"], is_lead=True)
    return {
        "team": team,
        "other_team": other,
        "payments": payments,
        "database": database,
        "users": users,
    }


def make_integration(world, **fields):
    """(integration, token) made by the ops manager."""
    fields.setdefault("name", f"Alertmanager {fields.get('name_suffix', '')}".strip())
    fields.pop("name_suffix", None)
    return services.integration_create(
        actor=world["users"]["ops_manager"],
        source=SYSTEM,
        default_service=fields.pop("default_service", world["payments"]),
        **fields,
    )


def am_alert(
    name: str = "HighErrorRate",
    *,
    status: str = "firing",
    severity: str | None = "critical",
    starts_at: dt.datetime = T0,
    ends_at: dt.datetime | None = None,
    labels: dict | None = None,
    summary: str | None = None,
    fingerprint: str | None = None,
) -> dict:
    all_labels = {
        "alertname": name,
        **({"severity": severity} if severity else {}),
        **(labels or {}),
    }
    fp = (
        fingerprint
        or hashlib.sha256(json.dumps(all_labels, sort_keys=True).encode()).hexdigest()[:16]
    )
    return {
        "status": status,
        "labels": all_labels,
        "annotations": {"summary": summary or f"{name} is firing"},
        "startsAt": rfc3339(starts_at),
        "endsAt": rfc3339(ends_at) if ends_at else ZERO_TIME,
        "generatorURL": f"http://prometheus.example:9090/graph?g0.expr={name}",
        "fingerprint": fp,
    }


def am_payload(
    alerts: list[dict],
    *,
    group_key: str | None = None,
    status: str | None = None,
    common_labels: dict | None = None,
    truncated: int = 0,
) -> dict:
    """Alertmanager's webhook body for one group. The status is "firing" while any alert
    fires, as Alertmanager computes it."""
    if status is None:
        status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    if common_labels is None:
        shared = set.intersection(*(set(a["labels"].items()) for a in alerts)) if alerts else set()
        common_labels = dict(shared)
    annotations = (
        dict(set.intersection(*(set(a["annotations"].items()) for a in alerts))) if alerts else {}
    )
    name = common_labels.get("alertname", "group")
    return {
        "version": "4",
        "groupKey": group_key or f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": truncated,
        "status": status,
        "receiver": "itsm",
        "groupLabels": {"alertname": name},
        "commonLabels": common_labels,
        "commonAnnotations": annotations,
        "externalURL": "http://alertmanager.example:9093",
        "alerts": alerts,
    }
