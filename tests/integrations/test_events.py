"""Audit events of every app map to public event types without those apps knowing."""

import pytest
from django.contrib.contenttypes.models import ContentType

from integrations.events import EVENT_VALUES, RULES, event_type_for
from itsm.models import AuditEvent

pytestmark = pytest.mark.django_db


def audit(model: str, action: str, before: str = "", after: str = "") -> AuditEvent:
    app_label, name = model.split(".")
    content_type, created = ContentType.objects.get_or_create(app_label=app_label, model=name)
    if created:  # its id may be one a rolled-back test cached for another model
        ContentType.objects.clear_cache()
    return AuditEvent(
        content_type=content_type, object_id="1", action=action, from_state=before, to_state=after
    )


@pytest.mark.parametrize(
    ("model", "action", "before", "after", "expected"),
    [
        ("incidents.incident", "reported", "", "detected", "incident.created"),
        ("incidents.incident", "acknowledged", "detected", "acknowledged", "incident.acknowledged"),
        ("incidents.incident", "escalated", "detected", "detected", "incident.escalated"),
        ("incidents.incident", "recovered", "investigating", "recovered", "incident.resolved"),
        ("incidents.incident", "edited", "detected", "detected", None),
        ("changes.change", "submit", "draft", "awaiting_approval", "change.submitted"),
        ("changes.change", "approve", "awaiting_approval", "approved", "change.approved"),
        ("changes.change", "vote", "awaiting_approval", "approved", "change.approved"),
        ("changes.change", "vote", "awaiting_approval", "awaiting_approval", None),
        ("changes.change", "reject", "awaiting_approval", "rejected", "change.rejected"),
        ("changes.change", "verify", "verifying", "completed", "change.completed"),
        ("changes.change", "update", "approved", "approved", None),
        ("releases.release", "promote_to_production", "canary", "production", "release.deployed"),
        ("backups.backuprun", "fail", "running", "failed", "backup.failed"),
        (
            "backups.backuprun",
            "fail_verification",
            "succeeded",
            "verification_failed",
            "backup.failed",
        ),
        ("backups.backuprun", "created", "", "scheduled", None),
        ("itsm.team", "created", "", "", None),
    ],
)
def test_event_type_for(model, action, before, after, expected):
    assert event_type_for(audit(model, action, before, after)) == expected


def test_every_rule_names_a_known_event_type():
    assert {rule.event_type for rule in RULES} <= set(EVENT_VALUES)
    assert {
        "incident.created",
        "incident.acknowledged",
        "incident.escalated",
        "incident.resolved",
        "change.submitted",
        "change.approved",
        "change.rejected",
        "change.completed",
        "release.deployed",
        "backup.failed",
    } <= set(EVENT_VALUES)
