"""The maintenance plan of DOMAIN.md as data. Administrators edit it in the portal.

Timers are not armed here (no timer rows from a migration): beat arms every active plan when
it starts (maintenance.tasks), and seed_demo does too.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations

PLANS = [
    {
        "name": "Daily housekeeping",
        "description": "Log rotation, cache clean-up, temporary-file clean-up, expired sessions.",
        "schedule": "0 3 * * *",
        "jobs": [
            ("Log rotation", "rotate_logs", {}),
            ("Cache clean-up", "clean_cache", {}),
            ("Temporary-file clean-up", "clean_temp_files", {}),
            ("Expired-session purge", "purge_sessions", {}),
        ],
    },
    {
        "name": "Weekly database care",
        "description": "Database optimisation, index rebuild, backup verification.",
        "schedule": "0 1 * * 0",
        "jobs": [
            ("Database optimisation", "optimise_database", {}),
            ("Index rebuild", "rebuild_indexes", {}),
            ("Backup verification", "verify_backup", {}),
        ],
    },
    {
        "name": "Monthly review",
        "description": "Performance analysis and capacity planning; security patches for "
        "operated systems once a standard change template is chosen.",
        "schedule": "0 0 1 * *",
        "jobs": [
            ("Capacity and performance report", "capacity_report", {}),
            # Needs a standard change template: inactive until an administrator picks one.
            ("Security patches", "standard_change", {"active": False}),
        ],
    },
    {
        "name": "Weekly update review",
        "description": "Check pending updates, analyse their impact, schedule them into a "
        "maintenance window and notify stakeholders.",
        "schedule": "0 2 * * 1",
        "jobs": [("Pending-update analysis and scheduling", "pending_updates", {})],
    },
]


def create_plans(apps, schema_editor):
    plan_model = apps.get_model("maintenance", "MaintenancePlan")
    job_model = apps.get_model("maintenance", "MaintenanceJob")
    for spec in PLANS:
        plan, created = plan_model.objects.get_or_create(
            name=spec["name"],
            defaults={
                "description": spec["description"],
                "schedule": spec["schedule"],
                "time_zone": settings.TIME_ZONE,
                "max_duration": timedelta(hours=2),
            },
        )
        if not created:
            continue
        for position, (name, kind, options) in enumerate(spec["jobs"], start=1):
            job_model.objects.create(
                plan=plan,
                name=name,
                kind=kind,
                position=position * 10,
                is_active=options.get("active", True),
            )


def remove_plans(apps, schema_editor):
    plan_model = apps.get_model("maintenance", "MaintenancePlan")
    plan_model.objects.filter(name__in=[p["name"] for p in PLANS], runs__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("maintenance", "0001_initial")]
    operations = [migrations.RunPython(create_plans, remove_plans)]
