"""Scheduled maintenance on PostgreSQL: schedule maths, catch-up after an outage, run
history pages and API with a large history, and the self-jobs on that database.

    python bench/maintenance_runs.py [--admin-url postgres://postgres@127.0.0.1:5432/postgres]
                                     [--plans 200] [--runs 100000] [--repeat 20]

Creates (and drops) the database `bench_maintenance`. Prints one table per part: medians and
95th percentiles of wall time, query counts, data sizes. Jobs are not queued to a broker:
the catch-up part counts the runs recorded by the sweep, which is what a restart does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "bench_maintenance"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--plans", type=int, default=200)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def admin(url: str, sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(sql)
    conn.close()


def setup_django(admin_url: str) -> None:
    admin(admin_url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin(admin_url, f'CREATE DATABASE "{DB_NAME}"')
    os.environ["DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + f"/{DB_NAME}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "itsm.settings"
    os.environ.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def table(title: str, header: list[str], rows: list[list]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    print(f"\n## {title}")
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))


def bench_schedule(repeat: int) -> None:
    from maintenance.schedule import next_occurrence

    rows = []
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for expression in ["0 3 * * *", "0 1 * * 0", "0 0 1 * *", "0 0 L * *", "*/5 * * * *"]:
        for zone in ["UTC", "Asia/Seoul", "America/New_York"]:
            samples = []
            for i in range(repeat * 50):
                after = start + timedelta(hours=7 * i)
                began = time.perf_counter()
                next_occurrence(expression, zone, after=after)
                samples.append((time.perf_counter() - began) * 1e6)
            median, p95 = stats(samples)
            rows.append([expression, zone, len(samples), f"{median:.0f}", f"{p95:.0f}"])
    table("next_occurrence (µs per call)", ["schedule", "zone", "calls", "median", "p95"], rows)


def bench_catch_up(plans: int) -> None:
    import time_machine
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from itsm.timers import services as timers
    from maintenance import services, tasks
    from maintenance.models import JobKind, MaintenanceJob, MaintenancePlan, MaintenanceRun

    tasks.execute_run.delay = lambda run_id: None  # count runs, do not queue them
    MaintenancePlan.objects.update(is_active=False)
    now = datetime.now(UTC)
    for n in range(plans):
        plan = MaintenancePlan.objects.create(
            name=f"bench {n}", schedule=f"{n % 60} {n % 24} * * *", time_zone="Asia/Seoul"
        )
        MaintenanceJob.objects.create(plan=plan, name="sessions", kind=JobKind.PURGE_SESSIONS)
    with time_machine.travel(now, tick=False):
        began = time.perf_counter()
        armed = services.plans_ensure_armed()
        arm_ms = (time.perf_counter() - began) * 1000
    rows = []
    for outage_days in (3, 1):  # three days down, then one more
        now += timedelta(days=outage_days)
        with time_machine.travel(now, tick=False), CaptureQueriesContext(connection) as ctx:
            began = time.perf_counter()
            fired = timers.sweep().fired
            sweep_ms = (time.perf_counter() - began) * 1000
        runs = MaintenanceRun.objects.filter(plan__name__startswith="bench").count()
        rows.append(
            [
                f"{outage_days} d down",
                fired,
                runs,
                f"{sweep_ms:.0f}",
                f"{sweep_ms / max(fired, 1):.2f}",
                f"{len(ctx.captured_queries) / max(fired, 1):.1f}",
            ]
        )
    print(f"\narmed {armed} plans in {arm_ms:.0f} ms ({arm_ms / armed:.2f} ms each)")
    table(
        f"catch-up after an outage ({plans} daily plans, one run each expected per sweep)",
        ["outage", "timers fired", "runs in total", "sweep ms", "ms/plan", "queries/plan"],
        rows,
    )


def seed_history(count: int) -> None:
    from maintenance.models import JobRun, MaintenancePlan, MaintenanceRun

    plans = list(MaintenancePlan.objects.all()[:20])
    now = datetime.now(UTC)
    statuses = ["succeeded"] * 8 + ["warning", "failed"]
    batch = 5000
    for first in range(0, count, batch):
        runs = []
        for i in range(first, min(first + batch, count)):
            at = now - timedelta(hours=i)
            runs.append(
                MaintenanceRun(
                    plan=plans[i % len(plans)],
                    trigger="manual",
                    scheduled_for=at,
                    status=statuses[i % len(statuses)],
                    started_at=at,
                    finished_at=at + timedelta(seconds=30),
                    duration=timedelta(seconds=30),
                    summary="bench",
                )
            )
        created = MaintenanceRun.objects.bulk_create(runs)
        JobRun.objects.bulk_create(
            JobRun(
                run=run, name=f"job {k}", kind="purge_sessions", position=k, status=run.status,
                output="Deleted 0 expired sessions.\n" * 5, duration=timedelta(seconds=10),
            )
            for run in created
            for k in range(3)
        )  # fmt: skip


def bench_history(count: int, repeat: int) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from itsm import roles
    from itsm.models import User
    from maintenance.models import MaintenancePlan

    began = time.perf_counter()
    seed_history(count)
    seed_s = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('maintenance_maintenancerun')), "
            "pg_size_pretty(pg_total_relation_size('maintenance_jobrun'))"
        )
        run_size, job_size = cursor.fetchone()
    user = User.objects.create_user("bench-admin", password="x" * 12, is_superuser=True)
    user.groups.add(Group.objects.get(name=roles.ADMINISTRATOR))
    client = Client()
    client.force_login(user)
    plan = MaintenancePlan.objects.order_by("pk").first()
    some_run = plan.runs.order_by("-pk").first()
    cases = [
        ("API runs, page 1", "/api/v1/maintenance-runs/"),
        ("API runs, failed", "/api/v1/maintenance-runs/?status=failed"),
        ("API runs, plan + dates", f"/api/v1/maintenance-runs/?plan={plan.pk}&after=2026-01-01"),
        ("API run detail", f"/api/v1/maintenance-runs/{some_run.pk}/"),
        ("page runs, page 1", "/maintenance/runs/"),
        ("page runs, job kind", "/maintenance/runs/?job_kind=purge_sessions&status=failed"),
        ("page plans", "/maintenance/"),
        ("page run detail", f"/maintenance/runs/{some_run.pk}/"),
    ]
    rows = []
    for label, url in cases:
        client.get(url)  # warm
        samples = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as ctx:
                began = time.perf_counter()
                response = client.get(url, HTTP_ACCEPT="application/json")
                samples.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        median, p95 = stats(samples)
        rows.append([label, len(ctx.captured_queries), f"{median:.1f}", f"{p95:.1f}"])
    print(
        f"\nhistory: {count:,} runs ({run_size}), {count * 3:,} job runs ({job_size}), "
        f"seeded in {seed_s:.1f} s"
    )
    table("run history reads", ["request", "queries", "median ms", "p95 ms"], rows)


def bench_self_jobs() -> None:
    from django.utils import timezone

    from maintenance.jobs import JobContext, perform
    from maintenance.jobs.database import database_size

    rows = []
    for kind in ["purge_sessions", "optimise_database", "rebuild_indexes", "capacity_report"]:
        context = JobContext(None, kind, kind, {}, timezone.now())
        began = time.perf_counter()
        outcome = perform(context)
        rows.append([kind, outcome.status, f"{(time.perf_counter() - began) * 1000:.0f}"])
    print(f"\ndatabase size: {database_size() / 1e6:,.1f} MB")
    title = "self-jobs on this database (autocommit, as in the worker)"
    table(title, ["job", "result", "ms"], rows)


def main() -> None:
    args = parse_args()
    setup_django(args.admin_url)
    try:
        bench_schedule(args.repeat)
        bench_catch_up(args.plans)
        bench_history(args.runs, args.repeat)
        bench_self_jobs()
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            admin(args.admin_url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
