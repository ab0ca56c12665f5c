"""Sweep and claim time with 10k / 100k / 1M armed timers on PostgreSQL, 1,000 of them due.

    python bench/timers_sweep.py [--admin-url postgres://postgres@127.0.0.1:5432/postgres]
                                 [--sizes 10000 100000 1000000] [--due 1000] [--repeat 5]

Creates (and drops) the database `bench_timers`. Timers are seeded with COPY; the armed
ones that are not due lie in the next 30 days. For each size it prints the claim query
(one batch: SELECT ... FOR UPDATE SKIP LOCKED LIMIT batch, by the partial index) and one
whole sweep of the due timers, whose handler writes an audit event as real handlers do.
The due set is re-armed between repetitions. Fired rows are kept, as in production.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "bench_timers"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def admin(url: str, sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(sql)
    conn.close()


def setup_django(admin_url: str) -> str:
    admin(admin_url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin(admin_url, f'CREATE DATABASE "{DB_NAME}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{DB_NAME}"
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "itsm.settings"
    os.environ.pop("REDIS_URL", None)  # no ETA tasks: a sweep alone, as after an outage
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return url


COLUMNS = (
    "kind, key, content_type_id, object_id, due_at, state, token, payload, created_at, "
    "attempts, last_error"
)


def copy_timers(cursor, ct_id: int, start: int, count: int, due: bool, now: datetime) -> None:
    """COPY `count` armed timers numbered from `start`, due now or spread over 30 days."""
    chunk = 100_000
    for first in range(start, start + count, chunk):
        buf = io.StringIO()
        for i in range(first, min(first + chunk, start + count)):
            if due:
                at = now - timedelta(seconds=1 + i % 600)
            else:
                at = now + timedelta(hours=1, seconds=(i * 2_654_435_761) % (30 * 86400))
            buf.write(
                f"bench.record\t\t{ct_id}\t{i}\t{at.isoformat()}\tarmed\t{uuid.uuid4()}\t{{}}\t"
                f"{now.isoformat()}\t0\t\n"
            )
        buf.seek(0)
        cursor.copy_expert(f"COPY timers_timer ({COLUMNS}) FROM STDIN", buf)


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    args = parse_args()
    setup_django(args.admin_url)
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from itsm.audit import record_event
    from itsm.timers import services
    from itsm.timers.models import Timer
    from itsm.timers.registry import timer_handler

    @timer_handler("bench.record")
    def bench_record(timer, *, now):
        record_event(timer, action="bench fired", source="timer")

    ct_id = ContentType.objects.get_for_model(Timer).pk
    batch = settings.TIMER_SWEEP_BATCH
    rows = []
    seeded = 0  # armed, not due
    next_id = 0
    print(f"PostgreSQL {connection.pg_version}, batch {batch}, due {args.due}, ", end="")
    print(f"repeat {args.repeat}; times in ms (median / p95)")
    for size in args.sizes:
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            copy_timers(cursor.cursor, ct_id, next_id, size - args.due - seeded, False, now)
            next_id += size - args.due - seeded
            seeded = size - args.due
            copy_timers(cursor.cursor, ct_id, next_id, args.due, True, now)
            due_ids = list(range(next_id, next_id + args.due))
            next_id += args.due
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE timers_timer")
        seed_s = time.perf_counter() - t0
        armed = Timer.objects.filter(state="armed").count()
        total = Timer.objects.count()

        claim_ms, plan_ms, plan = [], [], ""
        for _ in range(args.repeat * 2):
            with transaction.atomic():
                started = time.perf_counter()
                claimed = services.claim_due(now=timezone.now(), batch_size=batch)
                claim_ms.append((time.perf_counter() - started) * 1000)
                assert len(claimed) == min(batch, args.due)
                transaction.set_rollback(True)
        qs = Timer.objects.filter(state="armed", due_at__lte=timezone.now()).order_by(
            "due_at", "pk"
        )[:batch]
        with transaction.atomic():
            plan = qs.select_for_update(skip_locked=True).explain(analyze=True)
            transaction.set_rollback(True)
        plan_ms = [float(x.split(":")[1].split()[0]) for x in plan.splitlines() if "Execution" in x]
        uses_index = "timer_armed_due" in plan

        sweep_ms, sweep_claim_ms, queries = [], [], 0
        for repetition in range(args.repeat):
            counter = QueryCounter()
            with connection.execute_wrapper(counter):
                result = services.sweep()
            assert result.fired == args.due, result
            sweep_ms.append(result.duration_ms)
            sweep_claim_ms.append(result.claim_ms)
            queries = counter.count
            if repetition == args.repeat - 1:
                break  # the due set stays fired; the next size brings a new one
            object_ids = [str(i) for i in due_ids]
            Timer.objects.filter(content_type_id=ct_id, object_id__in=object_ids).update(
                state="armed", fired_at=None, late_by=None
            )
        rows.append(
            (
                size,
                armed,
                total,
                seed_s,
                statistics.median(claim_ms),
                percentile(claim_ms, 95),
                plan_ms[0] if plan_ms else float("nan"),
                uses_index,
                statistics.median(sweep_ms),
                percentile(sweep_ms, 95),
                statistics.median(sweep_claim_ms),
                queries,
            )
        )
        print_table(rows, args.due)
    if not args.keep:
        connection.close()
        admin(args.admin_url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def print_table(rows, due: int) -> None:
    head = (
        f"{'armed':>9} {'rows':>9} {'seed s':>7} | {'claim 500':>17} {'EXPLAIN':>8} "
        f"{'index':>5} | {f'sweep {due} due':>19} {'its claims':>10} {'queries':>7}"
    )
    print()
    print(head)
    print("-" * len(head))
    for r in rows:
        (size, armed, total, seed_s, c_med, c_p95, plan, idx, s_med, s_p95, s_claim, q) = r
        print(
            f"{armed:>9,} {total:>9,} {seed_s:>7.1f} | {c_med:>7.2f} / {c_p95:>7.2f} "
            f"{plan:>8.2f} {'yes' if idx else 'NO':>5} | {s_med:>8.0f} / {s_p95:>8.0f} "
            f"{s_claim:>10.2f} {q:>7}"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
