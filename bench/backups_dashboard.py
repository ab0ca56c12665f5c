"""Benchmark: the compliance dashboard and the agents' report endpoint at scale.

Runs in a throw-away test database (never the portal's own):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test ITSM_TEST_DB_SUFFIX=bench \
        python bench/backups_dashboard.py [--targets 100 500 1000] [--runs 200]

Prints, per data size: the median and p95 time of the compliance query over all targets, of
the dashboard page (first 50 rows, full HTML) and of a report through the service, and the
number of SQL queries each takes.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

BREACHED_API = "/api/v1/backup-targets/?compliance=breached"


def measure(func, repeat: int) -> tuple[float, float, int]:
    times = []
    with CaptureQueriesContext(connection) as queries:
        func()
    count = len(queries.captured_queries)
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], count


def fill(targets: int, runs: int, offset: int) -> None:
    from backups.models import BackupPolicy, BackupRun, BackupTarget, StorageLocation

    now = timezone.now()
    location, _ = StorageLocation.objects.get_or_create(name="bench", defaults={"medium": "nas"})
    made = BackupTarget.objects.bulk_create(
        BackupTarget(name=f"bench {i}", slug=f"bench-{i}", kind="database",
                     rpo=timedelta(hours=6), rto=timedelta(hours=4))
        for i in range(offset, offset + targets)
    )  # fmt: skip
    policies = BackupPolicy.objects.bulk_create(
        BackupPolicy(target=t, name="daily", method="full", interval=timedelta(hours=6),
                     retention_generations=30, storage_location=location, next_run_at=now)
        for t in made
    )  # fmt: skip
    batch = []
    for n, policy in enumerate(policies):
        for k in range(runs):
            point = now - timedelta(hours=6 * k + (n % 9))
            status = "verified" if k % 10 else "failed"
            batch.append(BackupRun(target_id=policy.target_id, policy=policy, method="full",
                                   status=status, origin="agent", started_at=point,
                                   finished_at=point + timedelta(minutes=20),
                                   recovery_point=point, created_at=point))  # fmt: skip
        if len(batch) >= 20000:
            BackupRun.objects.bulk_create(batch)
            batch = []
    BackupRun.objects.bulk_create(batch)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--runs", type=int, default=100, help="runs per target")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from django.contrib.auth.models import Group
        from django.test import Client

        from backups import selectors, services
        from itsm import roles
        from itsm.models import User

        admin = User.objects.create_user("bench-admin", is_superuser=True)
        admin.groups.add(*Group.objects.filter(name=roles.ADMINISTRATOR))
        client = Client()
        client.force_login(admin)
        print(f"database: {connection.vendor} ({name}), {args.runs} runs per target")
        header = (
            f"{'targets':>8} {'runs':>9} | {'what':<28} {'median ms':>10} {'p95 ms':>9}"
            f" {'queries':>8}"
        )
        print(header)
        print("-" * len(header))
        done = 0
        counter = iter(range(10**9))
        for size in args.targets:
            fill(size - done, args.runs, done)
            done = size
            connection.cursor().execute("ANALYZE") if connection.vendor == "postgresql" else None
            runs = size * args.runs
            rows = [
                ("compliance of all targets", lambda: list(selectors.target_dashboard())),
                ("dashboard page (50 rows)", lambda: client.get("/backups/")),
                ("breached filter (API)", lambda: client.get(BREACHED_API)),
                ("report (service)", lambda: services.run_report(
                    actor=None, source="api", target="bench-0", status="verified",
                    external_id=f"job-{next(counter)}", checksum="ab" * 32)),
            ]  # fmt: skip
            for label, func in rows:
                median, p95, queries = measure(func, args.repeat)
                print(f"{size:>8} {runs:>9} | {label:<28} {median:>10.1f} {p95:>9.1f} {queries:>8}")
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
