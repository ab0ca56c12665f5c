"""DOMAIN.md defaults: the impact × urgency matrix, SLA targets per priority and the
escalation policy L1 on-call (the team's primary schedule) → L2 ops leader (15 min) → L3 ops manager (+30) → L4 developer
team (+60), L5 executives at once for a major incident. Administrators edit them later."""

from datetime import timedelta

from django.db import migrations

MATRIX = [
    ("high", "immediate", "P1"),
    ("high", "planned", "P2"),
    ("medium", "immediate", "P2"),
    ("medium", "planned", "P3"),
    ("low", "immediate", "P3"),
    ("low", "planned", "P4"),
]

POLICIES = [
    # priority, response, unit, resolution, unit, postmortem required
    ("P1", 15, "minutes", 4, "hours", True),
    ("P2", 30, "minutes", 8, "hours", True),
    ("P3", 2, "hours", 3, "business_days", False),
    ("P4", 1, "business_days", 10, "business_days", False),
]

LEVELS = [
    # number, wait, role, major only; L1 pages whoever the team's primary schedule names
    (1, timedelta(0), "oncall", False),
    (2, timedelta(minutes=15), "ops_leader", False),
    (3, timedelta(minutes=30), "ops_manager", False),
    (4, timedelta(minutes=60), "developer", False),
    (5, timedelta(0), "executive", True),
]


def seed(apps, schema_editor):
    Cell = apps.get_model("incidents", "PriorityMatrixCell")
    for impact, urgency, priority in MATRIX:
        Cell.objects.get_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})
    Policy = apps.get_model("incidents", "PriorityPolicy")
    for priority, resp, resp_unit, res, res_unit, postmortem in POLICIES:
        Policy.objects.get_or_create(
            priority=priority,
            defaults={
                "response_amount": resp,
                "response_unit": resp_unit,
                "resolution_amount": res,
                "resolution_unit": res_unit,
                "warn_fraction": 0.75,
                "postmortem_required": postmortem,
            },
        )
    Escalation = apps.get_model("incidents", "EscalationPolicy")
    Level = apps.get_model("incidents", "EscalationLevel")
    policy, created = Escalation.objects.get_or_create(
        name="Standard (seed 002 §8.4)", defaults={"is_default": True}
    )
    if created:
        for number, wait, role, major_only in LEVELS:
            Level.objects.create(
                policy=policy,
                number=number,
                wait=wait,
                target_type="oncall" if number == 1 else "role",
                schedule_level=1,
                role=role,
                major_only=major_only,
            )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
