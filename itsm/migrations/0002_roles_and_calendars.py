"""The roles of DOMAIN.md as groups, Korean and Japanese business calendars, and (on
PostgreSQL) a trigger that keeps the audit trail append-only."""

from django.db import migrations

ROLES = [
    "requester", "oncall", "ops_leader", "ops_manager", "cab_member",
    "developer", "executive", "manager", "administrator",
]  # fmt: skip

CALENDARS = [
    ("Korea (Seoul)", "KR", "Asia/Seoul"),
    ("Japan (Tokyo)", "JP", "Asia/Tokyo"),
]

AUDIT_TRIGGER = """
CREATE OR REPLACE FUNCTION itsm_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER itsm_auditevent_append_only
    BEFORE UPDATE OR DELETE ON itsm_auditevent
    FOR EACH ROW EXECUTE FUNCTION itsm_audit_append_only();
"""
DROP_AUDIT_TRIGGER = """
DROP TRIGGER IF EXISTS itsm_auditevent_append_only ON itsm_auditevent;
DROP FUNCTION IF EXISTS itsm_audit_append_only();
"""


def create_roles_and_calendars(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    BusinessCalendar = apps.get_model("itsm", "BusinessCalendar")
    for name, country, tz in CALENDARS:
        BusinessCalendar.objects.get_or_create(
            name=name,
            defaults={"country": country, "time_zone": tz, "work_days": [0, 1, 2, 3, 4]},
        )


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(AUDIT_TRIGGER)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_AUDIT_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [("itsm", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunPython(create_roles_and_calendars, migrations.RunPython.noop),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
