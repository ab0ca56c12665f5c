"""Portal events that webhooks and e-mail subscribe to, derived from audit events.

Every workflow app records its transitions as `itsm.AuditEvent` rows; a rule maps
(model, action or target state) to a public event type, so each app's transitions reach
webhooks and e-mail without those apps knowing about integrations. Add a rule here when an
app gains a transition worth announcing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from itsm.recipients import portal_url


class EventType:
    INCIDENT_CREATED = "incident.created"
    INCIDENT_ACKNOWLEDGED = "incident.acknowledged"
    INCIDENT_ESCALATED = "incident.escalated"
    INCIDENT_RESOLVED = "incident.resolved"
    INCIDENT_CLOSED = "incident.closed"
    INCIDENT_MAJOR = "incident.major_declared"
    CHANGE_SUBMITTED = "change.submitted"
    CHANGE_APPROVED = "change.approved"
    CHANGE_REJECTED = "change.rejected"
    CHANGE_COMPLETED = "change.completed"
    CHANGE_FAILED = "change.failed"
    RELEASE_DEPLOYED = "release.deployed"
    RELEASE_ROLLED_BACK = "release.rolled_back"
    BACKUP_FAILED = "backup.failed"
    RESTORE_TEST_FAILED = "backup.restore_test_failed"
    PING = "ping"


EVENT_CHOICES = [
    (EventType.INCIDENT_CREATED, _("Incident created")),
    (EventType.INCIDENT_ACKNOWLEDGED, _("Incident acknowledged")),
    (EventType.INCIDENT_ESCALATED, _("Incident escalated")),
    (EventType.INCIDENT_RESOLVED, _("Incident resolved (service recovered)")),
    (EventType.INCIDENT_CLOSED, _("Incident closed")),
    (EventType.INCIDENT_MAJOR, _("Major incident declared")),
    (EventType.CHANGE_SUBMITTED, _("Change submitted")),
    (EventType.CHANGE_APPROVED, _("Change approved")),
    (EventType.CHANGE_REJECTED, _("Change rejected")),
    (EventType.CHANGE_COMPLETED, _("Change completed")),
    (EventType.CHANGE_FAILED, _("Change verification failed")),
    (EventType.RELEASE_DEPLOYED, _("Release deployed to production")),
    (EventType.RELEASE_ROLLED_BACK, _("Release rolled back")),
    (EventType.BACKUP_FAILED, _("Backup failed")),
    (EventType.RESTORE_TEST_FAILED, _("Restore test failed")),
]
EVENT_LABELS = dict(EVENT_CHOICES)
EVENT_VALUES = [value for value, _label in EVENT_CHOICES]


def event_label(event_type: str) -> str:
    if event_type == EventType.PING:
        return str(_("Test event"))
    return str(EVENT_LABELS.get(event_type, event_type))


@dataclass(frozen=True)
class EventRule:
    """(model, action) or (model, entered state) → event type."""

    model: str  # "app_label.modelname"
    event_type: str
    actions: frozenset[str] = field(default_factory=frozenset)
    to_states: frozenset[str] = field(default_factory=frozenset)

    def matches(self, action: str, from_state: str, to_state: str) -> bool:
        if self.actions and action in self.actions:
            return True
        # A state rule fires when the state is entered, whatever verb got it there
        # (a CAB vote and an approval both end in "approved").
        return bool(self.to_states) and to_state in self.to_states and from_state != to_state


def _rule(model: str, event_type: str, *, actions=(), to_states=()) -> EventRule:
    return EventRule(model, event_type, frozenset(actions), frozenset(to_states))


RULES: list[EventRule] = [
    _rule("incidents.incident", EventType.INCIDENT_CREATED, actions={"reported"}),
    _rule("incidents.incident", EventType.INCIDENT_ACKNOWLEDGED, actions={"acknowledged"}),
    _rule("incidents.incident", EventType.INCIDENT_ESCALATED, actions={"escalated"}),
    _rule("incidents.incident", EventType.INCIDENT_RESOLVED, actions={"recovered"}),
    _rule("incidents.incident", EventType.INCIDENT_CLOSED, actions={"closed"}),
    _rule("incidents.incident", EventType.INCIDENT_MAJOR, actions={"declared major"}),
    _rule("changes.change", EventType.CHANGE_SUBMITTED, actions={"submit"}),
    _rule("changes.change", EventType.CHANGE_APPROVED, to_states={"approved"}),
    _rule("changes.change", EventType.CHANGE_REJECTED, to_states={"rejected"}),
    _rule("changes.change", EventType.CHANGE_COMPLETED, to_states={"completed"}),
    _rule("changes.change", EventType.CHANGE_FAILED, to_states={"failed"}),
    _rule("releases.release", EventType.RELEASE_DEPLOYED, actions={"promote_to_production"}),
    _rule("releases.release", EventType.RELEASE_ROLLED_BACK, actions={"rollback"}),
    _rule(
        "backups.backuprun", EventType.BACKUP_FAILED, to_states={"failed", "verification_failed"}
    ),
    _rule("backups.restoretest", EventType.RESTORE_TEST_FAILED, to_states={"failed"}),
]

_RULES_BY_MODEL: dict[str, list[EventRule]] = {}
for _r in RULES:
    _RULES_BY_MODEL.setdefault(_r.model, []).append(_r)


def event_type_for(audit_event) -> str | None:
    """The public event type of an audit event, or None when nobody outside cares.

    Cheap for the common case: the content type comes from Django's cache, and models
    without rules return before any query.
    """
    content_type = ContentType.objects.get_for_id(audit_event.content_type_id)
    rules = _RULES_BY_MODEL.get(f"{content_type.app_label}.{content_type.model}")
    if not rules:
        return None
    for rule in rules:
        if rule.matches(audit_event.action, audit_event.from_state, audit_event.to_state):
            return rule.event_type
    return None


def team_id_of(obj) -> int | None:
    """The team an object belongs to, for "my teams" e-mail preferences."""
    for attr in ("team_id", "owner_team_id"):
        value = getattr(obj, attr, None)
        if value:
            return value
    for attr in ("service", "target"):
        related = getattr(obj, attr, None)
        if related is not None and related is not obj:
            value = team_id_of(related)
            if value:
                return value
    return None


def describe_subject(obj) -> dict:
    """A small, stable JSON description of the object an event is about."""

    data: dict = {"type": obj._meta.label_lower, "id": obj.pk}
    for attr in ("reference", "title", "name", "version", "status", "stage", "priority"):
        value = getattr(obj, attr, None)
        if value is not None and not callable(value) and value != "":
            data[attr] = str(value)
    for attr in ("service", "team", "owner_team"):
        related = getattr(obj, attr, None) if hasattr(obj, f"{attr}_id") else None
        if related is not None:
            data[attr] = {"id": related.pk, "name": str(related)}
    if hasattr(obj, "get_absolute_url"):
        # A URL is a courtesy, never a reason to fail (e.g. a model without a detail page).
        with contextlib.suppress(Exception):
            data["url"] = portal_url(obj.get_absolute_url())
    data["text"] = str(obj)
    return data
