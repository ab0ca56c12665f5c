"""Turning deliveries into incidents, deduplicated per group key.

Rules (Alertmanager's behaviour decides them):
- One AlertGroup row per (integration, group key). The delivery locks it first, so two
  copies of the same delivery at once are serialised: the second sees the first's result.
- A delivery whose content equals the group's previous one is a repeat (Alertmanager re-sends
  every group_interval/repeat_interval and after any error): logged, nothing else changes.
- Alerts are merged by fingerprint, monotonically: a resolved alert only fires again with a
  later `startsAt`, so a late retry of an old payload cannot revive it.
- A firing delivery joins the group's open incident (new alerts listed on its timeline, the
  priority raised if a more severe alert arrived) or, if there is none and an alert is fresh,
  opens one. A group whose severities all map to "no incident" opens nothing.
- `status: resolved` recovers the incident or only notes it, as the integration's policy says;
  a firing group with some alerts resolved only notes those.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import Alert, AlertGroup, AlertStatus, Delivery, Integration
from . import incident_bridge as bridge
from .mapping import priority_for, resolve_target, severity_map

FIRING, RESOLVED = AlertStatus.FIRING, AlertStatus.RESOLVED
TRIGGER, ACKNOWLEDGE, RESOLVE = "trigger", "acknowledge", "resolve"


@dataclass
class IncomingAlert:
    fingerprint: str
    status: str
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    generator_url: str = ""

    def canonical(self) -> list:
        return [
            self.fingerprint,
            self.status,
            self.starts_at.isoformat() if self.starts_at else None,
            self.ends_at.isoformat() if self.ends_at else None,
            self.labels,
            self.annotations,
        ]


@dataclass
class IncomingBatch:
    """A parsed delivery: what the API layer hands to `intake_receive`."""

    kind: str
    key: str
    status: str
    alerts: list[IncomingAlert]
    title: str = ""
    common_labels: dict = field(default_factory=dict)
    common_annotations: dict = field(default_factory=dict)
    external_url: str = ""
    truncated: int = 0
    action: str = TRIGGER
    extra: dict = field(default_factory=dict)  # generic: source, details

    def content_hash(self) -> str:
        """Equal for a repeat of the same news; receiver and URLs do not count."""
        canonical = [
            self.kind,
            self.status,
            self.action,
            self.truncated,
            self.title,
            sorted((a.canonical() for a in self.alerts), key=lambda c: c[0]),
            self.extra,
        ]
        raw = json.dumps(canonical, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class Merge:
    new: list[Alert] = field(default_factory=list)
    refired: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)
    stored: dict[str, Alert] = field(default_factory=dict)

    @property
    def firing(self) -> list[Alert]:
        return [a for a in self.stored.values() if a.status == FIRING]


def _lock_group(integration: Integration, key: str, now: datetime) -> tuple[AlertGroup, bool]:
    key_hash = AlertGroup.hash_key(key)
    locked = AlertGroup.objects.select_for_update(of=("self",)).filter(
        integration=integration, key_hash=key_hash
    )
    group = locked.select_related("incident").first()
    if group is not None:
        return group, False
    try:
        with transaction.atomic():
            group = AlertGroup.objects.create(
                integration=integration,
                key=key,
                key_hash=key_hash,
                first_seen_at=now,
                last_seen_at=now,
            )
        return group, True
    except IntegrityError:
        # A concurrent first delivery created it; its transaction has committed by now.
        return locked.select_related("incident").get(), False


def _merge_alerts(group: AlertGroup, incoming: list[IncomingAlert], now: datetime) -> Merge:
    merge = Merge(stored={a.fingerprint: a for a in group.alerts.all()})
    to_create, to_update = [], []
    for item in incoming:
        alert = merge.stored.get(item.fingerprint)
        if alert is None:
            alert = Alert(
                group=group,
                fingerprint=item.fingerprint,
                status=item.status,
                labels=item.labels,
                annotations=item.annotations,
                starts_at=item.starts_at,
                ends_at=item.ends_at,
                generator_url=item.generator_url[:1000],
                first_seen_at=now,
                last_seen_at=now,
            )
            merge.stored[item.fingerprint] = alert
            to_create.append(alert)
            if item.status == FIRING:
                merge.new.append(alert)
            continue
        newer = (
            item.starts_at is None or alert.starts_at is None or item.starts_at > alert.starts_at
        )
        if alert.status == RESOLVED and item.status == FIRING:
            if not newer:
                continue  # a stale copy (a late retry): the alert stays resolved
            alert.incident = None  # a new occurrence: listed again on the incident it joins
            merge.refired.append(alert)
        elif alert.status == FIRING and item.status == RESOLVED:
            merge.resolved.append(alert)
        alert.status, alert.labels, alert.annotations = item.status, item.labels, item.annotations
        alert.starts_at = item.starts_at or alert.starts_at
        alert.ends_at = item.ends_at
        alert.generator_url = item.generator_url[:1000] or alert.generator_url
        alert.last_seen_at = now
        to_update.append(alert)
    Alert.objects.bulk_create(to_create)
    if to_update:
        Alert.objects.bulk_update(
            to_update,
            [
                "status",
                "labels",
                "annotations",
                "starts_at",
                "ends_at",
                "generator_url",
                "incident",
                "last_seen_at",
            ],
        )
    return merge


def _names(alerts: list[Alert], limit: int = 10) -> str:
    names = [a.summary for a in alerts[:limit]]
    if len(alerts) > limit:
        names.append(_("and %(n)s more") % {"n": len(alerts) - limit})
    return "; ".join(names)


def _description(integration: Integration, batch: IncomingBatch, alerts: list[Alert]) -> str:
    lines = [
        _("Opened by the %(name)s integration from %(kind)s, group %(key)s.")
        % {"name": integration.name, "kind": batch.kind, "key": batch.key},
    ]
    if batch.external_url:
        lines.append(batch.external_url)
    if batch.extra.get("source"):
        lines.append(_("Source: %(source)s") % {"source": batch.extra["source"]})
    lines.append("")
    for alert in alerts[:50]:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
        since = f" ({alert.starts_at:%Y-%m-%d %H:%M:%S} UTC)" if alert.starts_at else ""
        lines.append(f"- {alert.summary}{since}")
        if labels:
            lines.append(f"  {labels}")
        if alert.annotations.get("description"):
            lines.append(f"  {alert.annotations['description']}")
        if alert.generator_url:
            lines.append(f"  {alert.generator_url}")
    if len(alerts) > 50 or batch.truncated:
        lines.append(
            _("(%(n)s more alerts not shown)") % {"n": max(len(alerts) - 50, 0) + batch.truncated}
        )
    return "\n".join(lines)


def _severities(integration: Integration, batch: IncomingBatch, alerts: list[Alert]) -> list[str]:
    label = integration.severity_label
    found = [a.labels.get(label, "") for a in alerts]
    return found or [batch.common_labels.get(label, "")]


class _Outcome:
    def __init__(self, outcome: str, summary: str, incident=None):
        self.outcome, self.summary, self.incident = outcome, summary, incident


@transaction.atomic
def intake_receive(
    *,
    integration: Integration,
    batch: IncomingBatch,
    body: str,
    remote_addr: str | None = None,
    user_agent: str = "",
) -> Delivery:
    """Apply one accepted delivery and keep its raw payload. Idempotent for repeats."""
    now = timezone.now()
    group, _created = _lock_group(integration, batch.key, now)
    content_hash = batch.content_hash()
    group.delivery_count += 1
    group.last_seen_at = now
    if content_hash == group.last_hash:
        group.save(update_fields=["delivery_count", "last_seen_at"])
        return _log(
            integration,
            batch,
            group,
            body,
            content_hash,
            remote_addr,
            user_agent,
            _Outcome(
                Delivery.Outcome.DUPLICATE,
                _("Same content as the previous delivery; nothing changed."),
                group.incident,
            ),
            Merge(),
        )
    group.last_hash = content_hash
    merge = _merge_alerts(group, batch.alerts, now)
    incident = bridge.current_incident(group.incident)
    if batch.action == ACKNOWLEDGE:
        result = _acknowledge(incident)
    elif batch.status == RESOLVED:
        result = _resolved(integration, merge, incident)
    else:
        result = _firing(integration, batch, group, merge, incident)
    group.incident = result.incident or group.incident
    group.title = (batch.title or group.title)[:200]
    group.labels = batch.common_labels or group.labels
    group.status = FIRING if merge.firing else RESOLVED
    group.firing_count = len(merge.firing)
    current = group.incident_id
    group.alert_count = sum(
        1 for a in merge.stored.values() if current and a.incident_id == current
    )
    group.save()
    return _log(
        integration, batch, group, body, content_hash, remote_addr, user_agent, result, merge
    )


def _acknowledge(incident) -> _Outcome:
    if incident is not None and bridge.acknowledge(incident):
        return _Outcome(Delivery.Outcome.ACKNOWLEDGED, _("Acknowledged by the sender."), incident)
    return _Outcome(
        Delivery.Outcome.IGNORED,
        _("Nothing to acknowledge: no unacknowledged incident for this key."),
        incident,
    )


def _resolved(integration: Integration, merge: Merge, incident) -> _Outcome:
    if incident is None:
        return _Outcome(Delivery.Outcome.IGNORED, _("Resolved; no open incident for this group."))
    summary = _("Monitoring reports all alerts resolved: %(alerts)s") % {
        "alerts": _names(merge.resolved or list(merge.stored.values()))
    }
    if integration.resolve_policy == Integration.ResolvePolicy.RECOVER and bridge.recover(
        incident, summary=summary
    ):
        return _Outcome(Delivery.Outcome.RECOVERED, summary, incident)
    bridge.note(incident, message=summary, payload={"resolved": len(merge.resolved)})
    return _Outcome(Delivery.Outcome.NOTED, summary, incident)


def _firing(
    integration: Integration, batch: IncomingBatch, group: AlertGroup, merge: Merge, incident
) -> _Outcome:
    firing = merge.firing
    fresh = [*merge.new, *merge.refired]
    fresh += [a for a in firing if a.incident_id is None and a not in fresh]
    priority = priority_for(
        integration, _severities(integration, batch, firing), severity_map(integration)
    )
    group.priority = priority
    if incident is not None:
        return _join(incident, group, merge, fresh, priority)
    if not fresh:
        return _Outcome(Delivery.Outcome.IGNORED, _("No fresh alerts; no incident opened."))
    if not priority:
        return _Outcome(
            Delivery.Outcome.IGNORED,
            _("The severity of these alerts opens no incident (%(alerts)s).")
            % {"alerts": _names(fresh)},
        )
    target = resolve_target(integration, [batch.common_labels, *(a.labels for a in firing)])
    incident = bridge.open_incident(
        target=target,
        priority=priority,
        title=batch.title or _names(firing, limit=3),
        description=_description(integration, batch, firing),
        reason=_("Severity from monitoring maps to %(p)s.") % {"p": priority},
    )
    _list_on(incident, firing)
    return _Outcome(
        Delivery.Outcome.CREATED,
        ngettext(
            "%(ref)s opened with %(n)s alert.", "%(ref)s opened with %(n)s alerts.", len(firing)
        )
        % {"ref": incident.reference, "n": len(firing)},
        incident,
    )


def _list_on(incident, alerts: list[Alert]) -> None:
    for alert in alerts:
        alert.incident = incident
    Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(incident=incident)


def _join(incident, group: AlertGroup, merge: Merge, fresh: list[Alert], priority) -> _Outcome:
    _list_on(incident, fresh)
    parts = []
    if fresh:
        parts.append(
            ngettext("%(n)s new alert: %(alerts)s", "%(n)s new alerts: %(alerts)s", len(fresh))
            % {"n": len(fresh), "alerts": _names(fresh)}
        )
    if merge.resolved:
        parts.append(
            ngettext(
                "%(n)s alert resolved: %(alerts)s",
                "%(n)s alerts resolved: %(alerts)s",
                len(merge.resolved),
            )
            % {"n": len(merge.resolved), "alerts": _names(merge.resolved)}
        )
    if not parts:
        return _Outcome(Delivery.Outcome.UPDATED, _("Still firing; no new alerts."), incident)
    listed = sum(1 for a in merge.stored.values() if a.incident_id == incident.pk)
    message = (
        " ".join(parts)
        + " "
        + _("%(firing)s of %(total)s alerts firing.")
        % {
            "firing": len(merge.firing),
            "total": listed,
        }
    )
    bridge.note(
        incident,
        message=message,
        payload={
            "group": group.pk,
            "new": [a.fingerprint for a in fresh],
            "resolved": [a.fingerprint for a in merge.resolved],
            "alert_count": listed,
            "firing": len(merge.firing),
        },
    )
    if priority:
        incident = bridge.raise_priority(
            incident,
            priority=priority,
            reason=_("A more severe alert arrived from monitoring: %(alerts)s")
            % {"alerts": _names(fresh)},
        )
    return _Outcome(Delivery.Outcome.UPDATED, message, incident)


def _log(integration, batch, group, body, content_hash, remote_addr, user_agent, result, merge):
    return Delivery.objects.create(
        integration=integration,
        kind=batch.kind,
        group=group,
        incident=result.incident,
        outcome=result.outcome,
        summary=str(result.summary)[:500],
        status=batch.action if batch.kind == Delivery.Kind.GENERIC else batch.status,
        alerts_total=len(batch.alerts),
        alerts_new=len(merge.new) + len(merge.refired),
        alerts_resolved=len(merge.resolved),
        content_hash=content_hash,
        body=body,
        remote_addr=remote_addr or None,
        user_agent=(user_agent or "")[:200],
    )
