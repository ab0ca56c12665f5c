"""Seed a PostgreSQL database with many incidents, clocks, postmortems and changes, fast.

Everything is INSERT ... SELECT over generate_series inside the server: no Python loop over
rows, so 1,000,000 incidents take minutes, not hours. Columns that the seed does not care
about are filled from their type (NOT NULL text -> '', booleans -> false, numbers -> 0, JSON
-> '[]'), so a column added later by the incidents or changes app does not break the seed.
"""

from __future__ import annotations

import time

from django.db import connection

BLANK_BY_TYPE = {
    "text": "''",
    "character varying": "''",
    "boolean": "false",
    "smallint": "0",
    "integer": "0",
    "bigint": "0",
    "double precision": "0",
    "jsonb": "'[]'::jsonb",
    "interval": "interval '0'",
    "uuid": "gen_random_uuid()",
    "timestamp with time zone": "now()",
    "date": "current_date",
}


def _required_columns(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT column_name, data_type FROM information_schema.columns
               WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL
                 AND is_identity = 'NO'""",
            [table],
        )
        return dict(cursor.fetchall())


def insert_select(table: str, values: dict[str, str], source: str) -> int:
    """INSERT INTO table (...) SELECT <values> FROM <source>; blanks for the other columns."""
    columns = dict(values)
    for name, data_type in _required_columns(table).items():
        if name not in columns:
            columns[name] = BLANK_BY_TYPE[data_type]
    names = ", ".join(f'"{name}"' for name in columns)
    exprs = ",\n  ".join(f'{expr} AS "{name}"' for name, expr in columns.items())
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names})\nSELECT {exprs}\nFROM {source}")
        return cursor.rowcount


def timed(label: str, function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    print(f"  seeded {label:<28} {result:>10,} rows in {time.perf_counter() - started:6.1f} s")
    return result


def seed(*, incidents: int, changes: int, teams: int = 20, services: int = 100, months: int = 36):
    """Fill the database; returns the time span (first, last) of the seeded incidents."""
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    from incidents.models import Incident
    from itsm import roles
    from itsm.models import BusinessCalendar, Service, Team, User

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
    calendar = BusinessCalendar.objects.get(country="KR")
    team_rows = Team.objects.bulk_create(
        [
            Team(name=f"Bench team {n}", slug=f"bench-team-{n}", calendar=calendar)
            for n in range(teams)
        ]
    )
    Service.objects.bulk_create(
        [
            Service(
                name=f"Bench service {n}",
                slug=f"bench-service-{n}",
                owner_team=team_rows[n % teams],
                hours="business" if n % 4 == 0 else "24x7",
            )
            for n in range(services)
        ]
    )
    people = User.objects.bulk_create(
        [User(username=f"bench-user-{n}", password="!") for n in range(50)]
    )
    requester = Group.objects.get(name=roles.REQUESTER)
    requester.user_set.add(*people)
    ct = ContentType.objects.get_for_model(Incident).pk
    user_ids = "ARRAY[" + ",".join(str(u.pk) for u in people) + "]::bigint[]"

    with connection.cursor() as cursor:
        cursor.execute(
            """CREATE TEMP TABLE bench_service AS
               SELECT row_number() OVER (ORDER BY id) - 1 AS rn, id, owner_team_id, hours
               FROM itsm_service WHERE slug LIKE 'bench-service-%%'"""
        )
        cursor.execute(
            """CREATE TEMP TABLE bench_target (priority text PRIMARY KEY, response interval,
               resolution interval, share_from float, share_to float)"""
        )
        cursor.execute(
            """INSERT INTO bench_target VALUES
               ('P1', '15 minutes', '4 hours', 0.00, 0.02),
               ('P2', '30 minutes', '8 hours', 0.02, 0.10),
               ('P3', '2 hours', '27 hours', 0.10, 0.50),
               ('P4', '9 hours', '90 hours', 0.50, 1.01)"""
        )
    span = f"interval '{months * 30} days'"
    # One row per incident with its random draws, so that facts stay consistent.
    draws = f"""(SELECT g, random() AS r_prio, random() AS r_when, random() AS r_ack,
                  random() AS r_fix, random() AS r_state, random() AS r_pause
                 FROM generate_series(1, {incidents}) g) d
        JOIN bench_service s ON s.rn = d.g % {services}
        JOIN bench_target t ON d.r_prio >= t.share_from AND d.r_prio < t.share_to
        CROSS JOIN LATERAL (SELECT now() - interval '10 days' - {span} * d.r_when AS at) w"""
    timed(
        "incidents",
        insert_select,
        "incidents_incident",
        {
            "title": "'Bench incident ' || d.g",
            "status": "CASE WHEN d.r_state < 0.97 THEN 'closed' WHEN d.r_state < 0.98 "
            "THEN 'investigating' WHEN d.r_state < 0.99 THEN 'waiting' ELSE 'detected' END",
            "source": "'monitoring'",
            "scope": "'some_users'",
            "business_impact": "'minor'",
            "urgency": "'planned'",
            "impact": "'medium'",
            "matrix_priority": "t.priority",
            "priority": "t.priority",
            "escalation_level": "1",
            "detected_at": "w.at",
            "acknowledged_at": "CASE WHEN d.r_state < 0.99 "
            "THEN w.at + t.response * d.r_ack * 1.3 END",
            "recovered_at": "CASE WHEN d.r_state < 0.97 "
            "THEN w.at + t.resolution * d.r_fix * 1.2 END",
            "closed_at": "CASE WHEN d.r_state < 0.97 THEN w.at + t.resolution * d.r_fix * 1.2 "
            "+ interval '1 hour' END",
            "reported_by_id": f"({user_ids})[1 + d.g % 50]",
            "service_id": "s.id",
            "team_id": "s.owner_team_id",
            "created_at": "w.at",
            "updated_at": "w.at",
        },
        draws,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_incident")
    # Two clocks per incident; elapsed derives from the incident's own facts.
    for name, done in (("response", "acknowledged_at"), ("resolution", "recovered_at")):
        paused = "interval '0'" if name == "response" else "interval '20 minutes'"
        timed(
            f"clocks ({name})",
            insert_select,
            "timers_clock",
            {
                "content_type_id": str(ct),
                "object_id": "i.id::varchar",
                "name": f"'{name}'",
                "target": f"t.{name}",
                "mode": "CASE WHEN s.hours = 'business' THEN 'business' ELSE 'calendar' END",
                "calendar_id": f"CASE WHEN s.hours = 'business' THEN {calendar.pk} END",
                "started_at": "i.detected_at",
                "resumed_at": f"CASE WHEN i.{done} IS NULL THEN i.detected_at END",
                "elapsed_before_pause": f"CASE WHEN i.{done} IS NULL THEN interval '0' "
                f"ELSE GREATEST(i.{done} - i.detected_at - {paused}, interval '1 minute') END",
                "segments": "'[]'::jsonb",
                "stopped_at": f"i.{done}",
                "warn_fractions": "'[0.75]'::jsonb",
                "warned_fractions": "'[]'::jsonb",
                "breached_at": f"CASE WHEN i.{done} - i.detected_at - {paused} > t.{name} "
                f"THEN i.detected_at + t.{name} END",
                "updated_at": "i.detected_at",
            },
            "incidents_incident i JOIN itsm_service s ON s.id = i.service_id "
            "JOIN bench_target t ON t.priority = i.priority",
        )
    timed(
        "postmortems",
        insert_select,
        "incidents_postmortem",
        {
            "incident_id": "i.id",
            "status": "CASE WHEN i.status = 'closed' THEN 'published' ELSE 'draft' END",
            "root_cause": "CASE i.id % 7 WHEN 0 THEN 'Disk full' WHEN 1 THEN 'Expired certificate' "
            "WHEN 2 THEN 'Bad deploy' ELSE 'Cause ' || (i.id % 500) END",
            "five_whys": "'[\"why\"]'::jsonb",
            "published_at": "CASE WHEN i.status = 'closed' THEN i.closed_at END",
            "created_at": "coalesce(i.recovered_at, i.detected_at)",
            "updated_at": "coalesce(i.closed_at, i.detected_at)",
        },
        "incidents_incident i WHERE i.priority IN ('P1', 'P2')",
    )
    timed(
        "action items",
        insert_select,
        "incidents_actionitem",
        {
            "postmortem_id": "p.id",
            "title": "'Follow-up ' || n",
            "owner_id": f"({user_ids})[1 + (p.id + n) % 50]",
            "team_id": "i.team_id",
            "due_date": "(i.detected_at + interval '14 days')::date",
            "status": "CASE WHEN (p.id + n) % 5 = 0 THEN 'open' ELSE 'done' END",
            "created_at": "i.detected_at",
        },
        "incidents_postmortem p JOIN incidents_incident i ON i.id = p.incident_id "
        "CROSS JOIN generate_series(1, 2) n",
    )
    timed(
        "changes",
        insert_select,
        "changes_change",
        {
            "title": "'Bench change ' || g",
            "change_class": "(ARRAY['standard','normal','normal','emergency','major'])[1 + g % 5]",
            "status": "(ARRAY['closed','closed','closed','closed','closed','closed','rolled_back',"
            "'cancelled','rejected','scheduled'])[1 + (g / 5) % 10]",
            "risk_level": "'low'",
            "requester_id": f"({user_ids})[1 + g % 50]",
            "owner_team_id": "(SELECT id FROM itsm_team "
            f"WHERE slug = 'bench-team-' || (g % {teams}))",
            "created_at": "w.at - interval '5 days'",
            "updated_at": "w.at",
            "submitted_at": "w.at - interval '5 days'",
            "decided_at": "w.at - interval '5 days' + interval '1 hour' * (1 + g % 72)",
            "planned_start": "w.at",
            "planned_end": "w.at + interval '2 hours'",
            "started_at": "CASE WHEN (g / 5) % 10 < 7 THEN w.at END",
            "completed_at": "CASE WHEN (g / 5) % 10 < 6 THEN w.at + interval '2 hours' END",
            "failure_reason": "CASE WHEN (g / 5) % 10 = 6 THEN 'verification failed' ELSE '' END",
            "rollback_notes": "CASE WHEN (g / 5) % 10 = 6 THEN 'rolled back' ELSE '' END",
        },
        f"generate_series(1, {changes}) g CROSS JOIN LATERAL "
        f"(SELECT now() - interval '10 days' - {span} * random() + 0 * g * interval '1 s' AS at) w",
    )
    timed(
        "change services",
        insert_select,
        "changes_change_services",
        {
            "change_id": "c.id",
            "service_id": f"(SELECT id FROM bench_service WHERE rn = c.id % {services})",
        },
        "changes_change c",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_incident SET caused_by_change_id = "
            "(SELECT max(id) FROM changes_change) - id % 1000 WHERE id % 97 = 0"
        )
        cursor.execute("ANALYZE")


def _bench_ids(cursor, sql: str) -> str:
    cursor.execute(sql)
    return "ARRAY[" + ",".join(str(pk) for (pk,) in cursor.fetchall()) + "]::bigint[]"


def seed_releases(*, releases: int, months: int = 36) -> int:
    """Releases over the months (1 or 2 services, one linked change, test/staging/production
    deployments; 5 % rolled back, 2 % cancelled, 3 % of production deployments failed, one in
    40 linked to an incident), with audit events: one in 20 sent back by test."""
    from django.contrib.contenttypes.models import ContentType

    from releases.models import Release

    with connection.cursor() as cursor:
        teams = _bench_ids(cursor, "SELECT id FROM itsm_team WHERE slug LIKE 'bench-team-%%'")
        services = _bench_ids(
            cursor, "SELECT id FROM itsm_service WHERE slug LIKE 'bench-service-%%' ORDER BY id"
        )
        cursor.execute("SELECT min(id), count(*) FROM changes_change")
        first_change, changes = cursor.fetchone()
        cursor.execute("SELECT min(id), count(*) FROM incidents_incident")
        first_incident, incidents = cursor.fetchone()
    span = f"interval '{months * 30} days'"
    # Spread evenly in time (release g at the g-th step), planned 2 hours before production.
    at = f"(now() - interval '10 days' - {span} + {span} * g / {releases})"
    made = timed(
        "releases",
        insert_select,
        "releases_release",
        {
            "version": "(g / 1000) || '.' || (g % 1000) || '.0'",
            "title": "'Bench release ' || g",
            "kind": "(ARRAY['major','minor','patch','patch','hotfix'])[1 + g % 5]",
            "stage": "CASE WHEN g % 50 = 7 THEN 'cancelled' WHEN g % 20 = 3 THEN 'rolled_back' "
            "ELSE 'done' END",
            "strategy": "'rolling'",
            "rolling_batch_percent": "25",
            "attempt": "1",
            "planned_at": f"{at} - interval '2 hours'",
            "production_at": f"CASE WHEN g % 50 <> 7 THEN {at} END",
            "done_at": f"CASE WHEN g % 50 <> 7 AND g % 20 <> 3 THEN {at} + interval '4 hours' END",
            "rolled_back_at": f"CASE WHEN g % 20 = 3 THEN {at} + interval '1 hour' END",
            "rolled_back_from": "CASE WHEN g % 20 = 3 THEN 'production' ELSE '' END",
            "cancelled_at": f"CASE WHEN g % 50 = 7 THEN {at} END",
            "team_id": f"({teams})[1 + g % array_length({teams}, 1)]",
            "created_at": f"{at} - interval '3 days'",
            "updated_at": at,
        },
        f"generate_series(1, {releases}) g",
    )
    mine = "releases_release r WHERE r.title LIKE 'Bench release %%'"
    timed(
        "release services",
        insert_select,
        "releases_release_services",
        {"release_id": "r.id", "service_id": f"({services})[1 + (r.id + 37 * k) % 100]"},
        f"{mine.replace(' WHERE', ' CROSS JOIN generate_series(1, 2) k WHERE')} "
        "AND (k = 1 OR r.id % 3 = 0)",
    )
    timed(
        "release changes",
        insert_select,
        "releases_release_changes",
        {"release_id": "r.id", "change_id": f"{first_change} + (r.id * 7) % {changes}"},
        mine,
    )
    timed(
        "deployments",
        insert_select,
        "releases_deployment",
        {
            "release_id": "r.id",
            "pipeline": "'deploy.yml'",
            "run_id": "r.id || '-' || e.env",
            "attempt": "1",
            "environment": "e.env",
            "version": "r.version",
            "strategy": "'rolling'",
            "result": "CASE WHEN e.env = 'production' AND r.id % 33 = 5 THEN 'failed' "
            "ELSE 'succeeded' END",
            "started_at": "r.production_at - e.back - interval '9 minutes'",
            "finished_at": "r.production_at - e.back",
            "rolled_back_at": "CASE WHEN e.env = 'production' THEN r.rolled_back_at END",
            "created_at": "r.production_at - e.back",
            "updated_at": "r.production_at - e.back",
        },
        "releases_release r CROSS JOIN (VALUES ('test', interval '48 hours'), "
        "('staging', interval '24 hours'), ('production', interval '0 hours')) e(env, back) "
        "WHERE r.title LIKE 'Bench release %%' AND r.production_at IS NOT NULL",
    )
    timed(
        "deployment incidents",
        insert_select,
        "releases_deploymentincident",
        {
            "deployment_id": "d.id",
            "incident_id": f"{first_incident} + (d.id * 13) % {incidents}",
            "linked_at": "d.finished_at + interval '1 hour'",
        },
        "releases_deployment d WHERE d.environment = 'production' AND d.id % 40 = 0",
    )
    ct = ContentType.objects.get_for_model(Release).pk
    timed(
        "release audit events",
        insert_select,
        "itsm_auditevent",
        {
            "at": "r.created_at + interval '1 hour' * n",
            "source": "'web'",
            "object_id": "r.id::varchar",
            "action": "CASE WHEN n = 2 AND r.id % 20 = 1 THEN 'fail_test' ELSE 'advance' END",
            "from_state": "''",
            "to_state": "''",
            "message": "''",
            "payload": "'{}'::jsonb",
            "content_type_id": str(ct),
        },
        f"{mine.replace(' WHERE', ' CROSS JOIN generate_series(1, 4) n WHERE')}",
    )
    return made


def seed_backups(*, targets: int, months: int = 36) -> int:
    """Backup targets (RPO a day) with one daily policy each, a run a day over the months
    (90 % verified, 5 % succeeded, 5 % failed), a restore test a month (planned ones ahead)
    and an RPO alert now and then."""
    from backups.models import BackupTarget

    with connection.cursor() as cursor:
        teams = _bench_ids(cursor, "SELECT id FROM itsm_team WHERE slug LIKE 'bench-team-%%'")
        services = _bench_ids(
            cursor, "SELECT id FROM itsm_service WHERE slug LIKE 'bench-service-%%' ORDER BY id"
        )
        locations = (("bench nas", "nas", "false"), ("bench s3", "object", "true"))
        for name, medium, off_site in locations:
            cursor.execute(
                "INSERT INTO backups_storagelocation (name, medium, uri, off_site, is_active) "
                f"VALUES (%s, %s, '', {off_site}, true) ON CONFLICT DO NOTHING",
                [name, medium],
            )
    made = timed(
        "backup targets",
        insert_select,
        "backups_backuptarget",
        {
            "name": "'Bench target ' || g",
            "slug": "'bench-target-' || g",
            "kind": "'database'",
            "primary_medium": "'disk'",
            "rpo": "interval '1 day'",
            "rto": "interval '4 hours'",
            "at_risk_percent": "80",
            "drill_interval": "interval '90 days'",
            "is_active": "true",
            "created_at": f"now() - interval '{months * 30 + 20} days'",
            "owner_team_id": f"({teams})[1 + g % array_length({teams}, 1)]",
            "service_id": f"({services})[1 + g % array_length({services}, 1)]",
        },
        f"generate_series(1, {targets}) g",
    )
    mine = "backups_backuptarget t WHERE t.slug LIKE 'bench-target-%%'"
    timed(
        "backup policies",
        insert_select,
        "backups_backuppolicy",
        {
            "name": "l.name",
            "method": "'full'",
            "interval": "interval '1 day'",
            "next_run_at": "date_trunc('day', now()) + interval '1 day'",
            "retention_generations": "30",
            "start_grace": "interval '30 minutes'",
            "is_active": "true",
            "target_id": "t.id",
            "storage_location_id": "l.id",
        },
        "backups_backuptarget t CROSS JOIN backups_storagelocation l "
        "WHERE t.slug LIKE 'bench-target-%%' AND l.name LIKE 'bench %%'",
    )
    # Daily runs to the first location; the most recent days of one target in 25 failed.
    point = "date_trunc('day', now()) - interval '1 day' * d + interval '1 hour' * (t.id % 6)"
    status = (
        "CASE WHEN t.id % 25 = 0 AND d < 3 THEN 'failed' WHEN (t.id + d) % 20 = 0 THEN 'failed' "
        "WHEN (t.id + d) % 20 = 1 THEN 'succeeded' ELSE 'verified' END"
    )
    timed(
        "backup runs",
        insert_select,
        "backups_backuprun",
        {
            "method": "'full'",
            "status": status,
            "origin": "'agent'",
            "started_at": point,
            "finished_at": f"{point} + interval '20 minutes'",
            "recovery_point": point,
            "verified_at": f"CASE WHEN {status} = 'verified' THEN {point} + interval '1 hour' END",
            "details": "'{}'::jsonb",
            "created_at": point,
            "target_id": "t.id",
            "policy_id": "(SELECT min(p.id) FROM backups_backuppolicy p WHERE p.target_id = t.id)",
        },
        f"{mine.replace(' WHERE', f' CROSS JOIN generate_series(0, {months * 30}) d WHERE')}",
    )
    drill = "date_trunc('month', now()) - interval '1 month' * m + interval '10 days'"
    timed(
        "restore tests",
        insert_select,
        "backups_restoretest",
        {
            "status": f"CASE WHEN {drill} > now() THEN 'planned' "
            "WHEN (t.id + m) % 10 = 0 THEN 'failed' ELSE 'passed' END",
            "planned_for": drill,
            "scenario": "'Restore to staging'",
            "started_at": f"CASE WHEN {drill} <= now() THEN {drill} END",
            "finished_at": f"CASE WHEN {drill} <= now() THEN {drill} + interval '2 hours' END",
            "recovery_time": f"CASE WHEN {drill} <= now() "
            "THEN interval '1 minute' * (60 + (t.id * 7 + m * 13) % 240) END",
            "rto_target": "t.rto",
            "rpo_target": "t.rpo",
            "recorded_at": f"CASE WHEN {drill} <= now() THEN {drill} + interval '3 hours' END",
            "created_at": f"{drill} - interval '20 days'",
            "target_id": "t.id",
        },
        f"{mine.replace(' WHERE', f' CROSS JOIN generate_series(-1, {months}) m WHERE')}",
    )
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(BackupTarget).pk
    timed(
        "backup RPO alerts",
        insert_select,
        "itsm_auditevent",
        {
            "at": "r.created_at + interval '1 day'",
            "source": "'timer'",
            "object_id": "r.target_id::varchar",
            "action": "'alert'",
            "from_state": "''",
            "to_state": "''",
            "message": "''",
            "payload": "jsonb_build_object('key', 'rpo:' || r.id)",
            "content_type_id": str(ct),
        },
        "backups_backuprun r WHERE r.status = 'failed'",
    )
    return made


def seed_incident_events(*, per_incident: int = 3) -> int:
    """Audit events of the incidents (detected, acknowledged, closed...): the audit table's
    realistic size, which the release and backup reports look up by object."""
    from django.contrib.contenttypes.models import ContentType

    from incidents.models import Incident

    ct = ContentType.objects.get_for_model(Incident).pk
    return timed(
        "incident audit events",
        insert_select,
        "itsm_auditevent",
        {
            "at": "i.detected_at + interval '10 minutes' * n",
            "source": "'web'",
            "object_id": "i.id::varchar",
            "action": "(ARRAY['detect','acknowledge','recover','close'])[1 + n % 4]",
            "from_state": "''",
            "to_state": "''",
            "message": "''",
            "payload": "'{}'::jsonb",
            "content_type_id": str(ct),
        },
        f"incidents_incident i CROSS JOIN generate_series(0, {per_incident - 1}) n",
    )


def seed_affected_services(*, every: int = 10) -> int:
    """One incident in `every` also affected a second service (the service filter matches
    it there too)."""
    return timed(
        "affected services",
        insert_select,
        "incidents_incident_affected_services",
        {
            "incident_id": "i.id",
            "service_id": "(SELECT id FROM itsm_service WHERE slug = 'bench-service-' || "
            "((s.rn + 1) % 100))",
        },
        "incidents_incident i JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn "
        "FROM itsm_service WHERE slug LIKE 'bench-service-%%') s ON s.id = i.service_id "
        f"WHERE i.id % {every} = 0",
    )
