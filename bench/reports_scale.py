"""Benchmark of the management reports at scale: 1,000,000 incidents, 200,000 changes.

Builds (or, with --keep, reuses) a test database named from ITSM_TEST_DB_SUFFIX, seeds it
inside PostgreSQL with generate_series (bench/reports_seed.py: minutes, not hours), writes the
incident facts with the same INSERT ... SELECT the portal uses, then requests every report
page (and the SLA API) for one month and for a year, and prints median / p95 wall time, the
largest query count per page and the data sizes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test ITSM_TEST_DB_SUFFIX=reports_bench \\
        python bench/reports_scale.py [--incidents 1000000] [--changes 200000] [--runs 5] [--keep]

Spread: incidents and changes over --months (36) months ending ten days ago; priorities 2 %
P1, 8 % P2, 40 % P3, 50 % P4; 20 teams, 100 services (a quarter on business hours); one
incident in ten affected a second service; three audit events per incident. Beside them
--releases (20,000, with test, staging and production deployments) and --backup-targets
(200, a run a day and a restore test a month each), so that the release and backup reports
read data too. With --keep each part is seeded only when its table holds none yet (or, for
incidents, fewer than asked).

Each page is requested once unmeasured (warm caches, as a page a manager reloads), then
--runs times. Times are wall time in the Django test client: view, every query, rendering.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

WIDTH = 58


def measure(label, function, runs, *, warm=True):
    """Median and p95 wall time (ms) and the largest query count of `runs` calls."""
    if warm:
        function()
    times, queries = [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = function()
            times.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured.captured_queries))
        status = getattr(response, "status_code", 200)
        if status != 200:
            raise SystemExit(f"{label}: HTTP {status}")
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    median = statistics.median(times)
    print(f"{label:<{WIDTH}} {median:>9.0f} {p95:>9.0f} {max(queries):>8}", flush=True)
    return median, p95


TABLES = (
    "incidents_incident", "incidents_incident_affected_services", "timers_clock",
    "reports_incidentfact", "incidents_postmortem", "incidents_actionitem", "changes_change",
    "changes_change_services", "releases_release", "releases_deployment",
    "backups_backuptarget", "backups_backuprun", "backups_restoretest", "itsm_auditevent",
)  # fmt: skip


def count_rows(table: str, where: str = "TRUE") -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE {where}")  # noqa: S608 - ours
        return cursor.fetchone()[0]


def sizes():
    """Rows and on-disk size (table, indexes, TOAST) of the tables the reports read."""
    total = 0
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}"  # noqa: S608
            )
            rows, size = cursor.fetchone()
            total += size
            print(f"  {table:<28} {rows:>12,} rows {size / 2**20:>9,.0f} MB", flush=True)
        cursor.execute("SELECT pg_database_size(current_database())")
        print(f"  {'these tables':<28} {'':>17} {total / 2**20:>9,.0f} MB")
        print(f"  {'whole database':<28} {'':>17} {cursor.fetchone()[0] / 2**20:>9,.0f} MB")


def seed(args) -> None:
    """Seed what is missing (everything in a fresh database; with --keep, what a previous
    run did not)."""
    import reports_seed

    from incidents.models import Incident
    from reports import facts

    started = time.perf_counter()
    seeded = False
    if Incident.objects.count() < args.incidents:
        print(f"Seeding {args.incidents:,} incidents and {args.changes:,} changes ...", flush=True)
        with transaction.atomic():
            reports_seed.seed(incidents=args.incidents, changes=args.changes, months=args.months)
        facts_started = time.perf_counter()
        written = facts.rebuild()
        print(f"  facts rebuilt: {written:,} rows in {time.perf_counter() - facts_started:.1f} s")
        seeded = True
    if count_rows("incidents_incident_affected_services") == 0:
        with transaction.atomic():
            reports_seed.seed_affected_services()
        seeded = True
    if args.events and count_rows("itsm_auditevent", "action = 'detect'") == 0:
        with transaction.atomic():
            reports_seed.seed_incident_events(per_incident=args.events)
        seeded = True
    if args.releases and count_rows("releases_release", "title LIKE 'Bench %'") == 0:
        with transaction.atomic():
            reports_seed.seed_releases(releases=args.releases, months=args.months)
        seeded = True
    if args.backup_targets and count_rows("backups_backuptarget", "slug LIKE 'bench-%'") == 0:
        with transaction.atomic():
            reports_seed.seed_backups(targets=args.backup_targets, months=args.months)
        seeded = True
    if seeded:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"  seed total {time.perf_counter() - started:.0f} s", flush=True)
    else:
        print("Reusing the seeded database (--keep).")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=200_000)
    parser.add_argument("--releases", type=int, default=20_000)
    parser.add_argument("--backup-targets", type=int, default=200)
    parser.add_argument("--events", type=int, default=3, help="audit events per incident")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Run this against PostgreSQL: set DATABASE_URL=postgres://...")

    from django.contrib.auth.models import Group
    from django.utils import timezone

    from incidents.models import Incident
    from itsm import roles
    from itsm.models import User
    from reports import facts
    from reports.params import add_months
    from reports.selectors.sla import KEYS

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(
        verbosity=0, autoclobber=not args.keep, keepdb=args.keep, serialize=False
    )
    try:
        seed(args)
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            version = cursor.fetchone()[0].split(" on ")[0]
        print(f"{version}, {os.cpu_count()} CPUs, load average {os.getloadavg()}")
        sizes()

        manager, _ = User.objects.get_or_create(username="bench-manager")
        manager.groups.add(Group.objects.get(name=roles.MANAGER))
        client = Client()
        client.force_login(manager)
        # The seed ends ten days ago: the last complete month and the twelve months up to it.
        last = add_months(timezone.now().date().replace(day=1), -1)
        year_first = add_months(last, -11)
        month = {"from": f"{last:%Y-%m}", "to": f"{last:%Y-%m}", "tz": "Asia/Seoul"}
        year = {"from": f"{year_first:%Y-%m}", "to": f"{last:%Y-%m}", "tz": "Asia/Seoul"}
        periods = (("month", month), ("year", year))

        print()
        print(f"month {last:%Y-%m}, year {year_first:%Y-%m} to {last:%Y-%m}, zone Asia/Seoul")
        print(f"{'page (GET, rendered)':<{WIDTH}} {'median ms':>9} {'p95 ms':>9} {'queries':>8}")
        results = {}

        def run(label, url, query):
            results[label] = measure(label, lambda: client.get(url, query), args.runs)

        # The dashboard is this month and the six before it, whatever the period.
        run("dashboard (this month, 6-month trend)", "/reports/", {"tz": "Asia/Seoul"})
        pages = [
            ("SLA by priority", "/reports/sla/", {"by": "priority"}),
            ("SLA by team", "/reports/sla/", {"by": "team"}),
            ("SLA by service", "/reports/sla/", {"by": "service"}),
            ("SLA by priority, one team", "/reports/sla/", {"team": "bench-team-3"}),
            ("SLA by priority, one service", "/reports/sla/", {"service": "bench-service-7"}),
            ("postmortems", "/reports/postmortems/", {}),
            ("changes", "/reports/changes/", {}),
            ("releases and DORA", "/reports/releases/", {}),
            ("backup compliance", "/reports/backups/", {}),
        ]
        for label, url, extra in pages:
            for period_name, period in periods:
                run(f"{label}, {period_name}", url, {**period, **extra})
        breached = (
            Incident.objects.filter(status="closed", priority="P1")
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        )
        run("SLA history of one incident", f"/reports/sla/incidents/{breached}/", {})
        for by, name in ((["priority"], "by priority"), (list(KEYS), "all 3 breakdowns")):
            for period_name, period in periods:
                run(
                    f"API /api/v1/reports/sla/ {name}, {period_name}",
                    "/api/v1/reports/sla/",
                    {**period, "by": by},
                )
        # The write path: one incident's fact refreshed after a commit.
        some = Incident.objects.order_by("-pk").values_list("pk", flat=True)[:1][0]
        measure("fact refresh of one incident (after commit)", lambda: facts.refresh([some]), 20)
        print(f"load average {os.getloadavg()}")
        slow = {k: v for k, (v, _p95) in results.items() if v > 1000}
        print()
        print("Over 1 s (median):", ", ".join(f"{k} {v:.0f} ms" for k, v in slow.items()) or "none")
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
