"""Benchmark of the management reports at scale: 1,000,000 incidents, 200,000 changes.

Builds (or, with --keep, reuses) a test database named from ITSM_TEST_DB_SUFFIX, seeds it
inside PostgreSQL with generate_series (bench/reports_seed.py: minutes, not hours), writes the
incident facts with the same INSERT ... SELECT the portal uses, then requests every report
page (and the SLA API) for one month and for a year, and prints median / p95 wall time, the
largest query count and the data sizes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test ITSM_TEST_DB_SUFFIX=reports_bench \\
        python bench/reports_scale.py [--incidents 1000000] [--changes 200000] [--runs 5] [--keep]

Spread: incidents and changes over --months (36) months ending ten days ago; priorities 2 %
P1, 8 % P2, 40 % P3, 50 % P4; 20 teams, 100 services (a quarter on business hours).
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

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def measure(label, function, runs):
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
    print(f"{label:<52} {statistics.median(times):>9.0f} {p95:>9.0f} {max(queries):>8}", flush=True)
    return statistics.median(times)


def sizes():
    with connection.cursor() as cursor:
        for table in (
            "incidents_incident", "timers_clock", "reports_incidentfact", "incidents_postmortem",
            "incidents_actionitem", "changes_change", "itsm_auditevent",
        ):  # fmt: skip
            cursor.execute(
                f"SELECT count(*), pg_size_pretty(pg_total_relation_size('{table}')) FROM {table}"
            )
            rows, size = cursor.fetchone()
            print(f"  {table:<28} {rows:>12,} rows {size:>10}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Run this against PostgreSQL: set DATABASE_URL=postgres://...")

    import reports_seed
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from incidents.models import Incident
    from itsm import roles
    from itsm.models import User
    from reports import facts
    from reports.params import add_months

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=not args.keep, keepdb=args.keep)
    try:
        if Incident.objects.count() < args.incidents:
            print(f"Seeding {args.incidents:,} incidents and {args.changes:,} changes ...")
            started = time.perf_counter()
            reports_seed.seed(incidents=args.incidents, changes=args.changes, months=args.months)
            facts_started = time.perf_counter()
            written = facts.rebuild()
            print(
                f"  facts rebuilt: {written:,} rows in {time.perf_counter() - facts_started:.1f} s"
            )
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            print(f"  seed total {time.perf_counter() - started:.0f} s")
        else:
            print("Reusing the seeded database (--keep).")
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

        print()
        print(f"{'page (GET, rendered)':<52} {'median ms':>9} {'p95 ms':>9} {'queries':>8}")
        results = {}
        pages = [
            ("dashboard", "/reports/", {}),
            ("SLA, by priority", "/reports/sla/", {"by": "priority"}),
            ("SLA, by team", "/reports/sla/", {"by": "team"}),
            ("SLA, by service", "/reports/sla/", {"by": "service"}),
            ("SLA, one team", "/reports/sla/", {"team": "bench-team-3"}),
            ("postmortems", "/reports/postmortems/", {}),
            ("changes", "/reports/changes/", {}),
            ("releases and DORA", "/reports/releases/", {}),
            ("backup compliance", "/reports/backups/", {}),
        ]
        for label, url, extra in pages:
            for period_name, period in (("month", month), ("year", year)):
                if url == "/reports/" and period_name == "year":
                    continue
                key = f"{label}, {period_name}"
                results[key] = measure(
                    key, lambda u=url, q={**period, **extra}: client.get(u, q), args.runs
                )
        api = Client()
        api.force_login(manager)
        results["API SLA, year"] = measure(
            "API /api/v1/reports/sla/?by=priority&by=team&by=service, year",
            lambda: api.get(
                "/api/v1/reports/sla/", {**year, "by": ["priority", "team", "service"]}
            ),
            args.runs,
        )
        # The write path: one incident's fact refreshed after a commit.
        some = Incident.objects.order_by("-pk").values_list("pk", flat=True)[:1][0]
        measure("fact refresh of one incident (after commit)", lambda: facts.refresh([some]), 20)
        slow = {k: v for k, v in results.items() if v > 1000}
        print()
        print("Over 1 s (median):", ", ".join(f"{k} {v:.0f} ms" for k, v in slow.items()) or "none")
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
