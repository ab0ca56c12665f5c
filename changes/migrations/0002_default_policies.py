"""The DOMAIN.md defaults for each change class; administrators edit them afterwards."""

from django.db import migrations

POLICIES = {
    "standard": {
        "approver_role": "ops_leader",
        "auto_approve_from_template": True,
        "approval_reminder_minutes": 240,
    },
    "normal": {
        "approver_role": "ops_manager",
        "lead_time_business_days": 3,
        "approval_reminder_minutes": 1440,
    },
    "emergency": {
        "approver_role": "ops_manager",
        "skip_assessment": True,
        "freeze_exempt": True,
        "review_required": True,
        "review_due_business_days": 2,
        "approval_reminder_minutes": 15,
    },
    "major": {
        "approver_role": "cab_member",
        "cab_vote": True,
        "quorum": 3,
        "majority_percent": 50,
        "lead_time_business_days": 5,
        "approval_reminder_minutes": 2880,
    },
}


def create_policies(apps, schema_editor):
    Policy = apps.get_model("changes", "ChangeClassPolicy")
    for change_class, values in POLICIES.items():
        Policy.objects.get_or_create(change_class=change_class, defaults=values)


class Migration(migrations.Migration):
    dependencies = [("changes", "0001_initial")]

    operations = [migrations.RunPython(create_policies, migrations.RunPython.noop)]
