"""DOMAIN.md's backup defaults as data, and the portal's own database as a target.

| target               | method                     | frequency                   | kept           | RPO  | RTO |
| database             | full + differential        | daily full, diff every 6 h  | 30 generations | 6 h  | 4 h |
| file storage         | full                       | daily                       | 7 generations  | 24 h | 2 h |
| system configuration | full                       | on every change             | 10 generations | –    | –   |
| logs                 | incremental                | hourly                      | 90 days        | –    | –   |
| whole system         | –                          | –                           | –              | 24 h | 8 h |
Restore tests: monthly for databases, quarterly for file storage and the whole system.
"""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

H = timedelta(hours=1)
D = timedelta(days=1)

KINDS = [
    # kind, rpo, rto, restore test every
    ("database", 6 * H, 4 * H, 30 * D),
    ("file_storage", 24 * H, 2 * H, 91 * D),
    ("system_config", None, None, None),
    ("logs", None, None, None),
    ("whole_system", 24 * H, 8 * H, 91 * D),
]
POLICIES = [
    # kind, name, method, every, keep generations, keep days
    ("database", "Daily full", "full", D, 30, None),
    ("database", "Differential every 6 h", "differential", 6 * H, 30, None),
    ("file_storage", "Daily full", "full", D, 7, None),
    ("system_config", "Full on every change", "full", None, 10, None),
    ("logs", "Hourly incremental", "incremental", H, None, 90),
]


def create(apps, schema_editor):
    KindDefault = apps.get_model("backups", "KindDefault")
    PolicyDefault = apps.get_model("backups", "PolicyDefault")
    StorageLocation = apps.get_model("backups", "StorageLocation")
    BackupTarget = apps.get_model("backups", "BackupTarget")
    BackupPolicy = apps.get_model("backups", "BackupPolicy")
    for kind, rpo, rto, drill in KINDS:
        KindDefault.objects.get_or_create(
            kind=kind, defaults={"rpo": rpo, "rto": rto, "drill_interval": drill}
        )
    for kind, name, method, every, generations, days in POLICIES:
        PolicyDefault.objects.get_or_create(
            kind=kind,
            name=name,
            defaults={
                "method": method,
                "interval": every,
                "retention_generations": generations,
                "retention_days": days,
            },
        )
    location, _ = StorageLocation.objects.get_or_create(
        name="Portal backup directory",
        defaults={"medium": "disk", "uri": "var/backups (BACKUPS_DIR)", "off_site": False},
    )
    target, created = BackupTarget.objects.get_or_create(
        slug="portal-database",
        defaults={
            "name": "Portal database",
            "kind": "database",
            "description": "The portal's own database, backed up by the portal itself "
            "(pg_dump on PostgreSQL, the online backup API on SQLite) and verified by a "
            "test restore into a scratch database.",
            "rpo": 6 * H,
            "rto": 4 * H,
            "drill_interval": 30 * D,
            "is_portal": True,
            "created_at": timezone.now(),
        },
    )
    if created:
        BackupPolicy.objects.create(
            target=target,
            name="Full every 4 h",
            method="full",
            interval=4 * H,
            retention_generations=42,
            storage_location=location,
            encrypted=False,
            start_grace=timedelta(minutes=30),
            max_duration=2 * H,
        )


class Migration(migrations.Migration):
    dependencies = [("backups", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
