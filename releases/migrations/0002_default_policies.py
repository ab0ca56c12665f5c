"""DOMAIN.md's release cadences as editable policy rows."""

from django.db import migrations

DEFAULTS = [
    # kind, cadence, weekday, day of month, covering change classes
    ("major", "quarterly", 2, 15, ["normal", "major"]),
    ("minor", "monthly", 2, 10, ["standard", "normal", "major"]),
    ("patch", "weekly", 2, 1, ["standard", "normal"]),
    ("hotfix", "any", 2, 1, ["emergency"]),
]


def create(apps, schema_editor):
    Policy = apps.get_model("releases", "ReleaseKindPolicy")
    for kind, cadence, weekday, day, classes in DEFAULTS:
        Policy.objects.get_or_create(
            kind=kind,
            defaults={
                "cadence": cadence,
                "weekday": weekday,
                "day_of_month": day,
                "covering_change_classes": classes,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("releases", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
