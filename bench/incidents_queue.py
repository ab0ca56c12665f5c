"""Triage queue, incident list, API list and escalation sweep on PostgreSQL, with history.

    DATABASE_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        python bench/incidents_queue.py [--active 300] [--finished 20000] [--due 500] [--repeat 30]

Creates (and drops) the database `bench_incidents`. `active` incidents are reported through
the services (clocks, timers, escalation steps, notifications as in production), a third of
them acknowledged; `finished` closed incidents are bulk-inserted as history. Then it times
the pages and endpoints an on-call engineer polls (median, p95, queries per request) and
one sweep that fires `due` escalation steps.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_NAME = "bench_incidents"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--active", type=int, default=300)
    parser.add_argument("--finished", type=int, default=20000)
    parser.add_argument("--due", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("DATABASE_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    return parser.parse_args()


def recreate_database(admin_url: str) -> str:
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        cur.execute(f"CREATE DATABASE {DB_NAME}")
    conn.close()
    return admin_url.rsplit("/", 1)[0] + f"/{DB_NAME}"


def drop_database(admin_url: str) -> None:
    import psycopg2
    from django.db import connections

    connections.close_all()
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
    conn.close()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def timed(fn, repeat):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    for _ in range(repeat):
        reset_queries()  # the log holds 9,000 queries; a full log counts nothing
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        queries = len(ctx)
    return statistics.median(times), percentile(times, 95), queries


def seed(args, world):
    from django.utils import timezone

    from incidents import services
    from incidents.models import Incident
    from itsm.models import AuditEvent
    from tests.incidents.factories import report

    oncall = world.user("oncall")
    started = time.perf_counter()
    for i in range(args.active):
        incident = report(
            world,
            priority=["P1", "P2", "P3", "P4"][i % 4],
            service=[world.always, world.office][i % 2],
            title=f"active {i}",
        )
        if i % 3 == 0:
            services.incident_acknowledge(
                incident_id=incident.pk, actor=oncall, source=AuditEvent.Source.SYSTEM
            )
    report_ms = (time.perf_counter() - started) * 1000 / max(args.active, 1)
    template = Incident.objects.get(title="active 0")
    now = timezone.now()
    rows = []
    for i in range(args.finished):
        detected = now - dt.timedelta(hours=6 + i)
        rows.append(
            Incident(
                title=f"history {i}",
                status="closed",
                service=world.always,
                team=world.team,
                scope=template.scope,
                business_impact=template.business_impact,
                urgency=template.urgency,
                impact=template.impact,
                priority="P3",
                matrix_priority="P3",
                detected_at=detected,
                acknowledged_at=detected + dt.timedelta(minutes=10),
                recovered_at=detected + dt.timedelta(hours=2),
                closed_at=detected + dt.timedelta(hours=3),
            )  # fmt: skip
        )
    Incident.objects.bulk_create(rows, batch_size=2000)
    return report_ms


def measure(args):
    from django.test import Client
    from django.utils import timezone
    from rest_framework.test import APIClient

    from itsm.timers import services as timers
    from tests.incidents.factories import make_world, report

    world = make_world()
    report_ms = seed(args, world)
    client = Client()
    client.force_login(world.user("oncall"))
    api = APIClient()
    api.force_authenticate(world.user("oncall"))
    pages = [
        ("triage queue page", client, "/incidents/queue/", {}),
        ("queue htmx poll", client, "/incidents/queue/", {"HTTP_HX_REQUEST": "true"}),
        ("incident list page 1", client, "/incidents/", {}),
        ("list ?state=active&priority=P1", client, "/incidents/?state=active&priority=P1", {}),
        ("API list ?state=active", api, "/api/v1/incidents/?state=active", {}),
        ("API list (all, page 1)", api, "/api/v1/incidents/", {}),
        ("incident detail page", client, "/incidents/1/", {}),
    ]
    results = [("report an incident (service)", report_ms, None, None)]
    for name, who, url, headers in pages:
        results.append(
            (name, *timed(lambda who=who, url=url, h=headers: who.get(url, **h), args.repeat))
        )
    # One sweep that fires `due` escalation steps (incidents detected 16 minutes ago).
    for i in range(args.due):
        report(
            world,
            priority="P2",
            title=f"due {i}",
            detected_at=timezone.now() - dt.timedelta(minutes=16),
        )
    started = time.perf_counter()
    swept = timers.sweep(batch_size=500)
    sweep_ms = (time.perf_counter() - started) * 1000
    results.append((f"sweep: {swept.fired} timers fired", sweep_ms, None, None))
    results.append(("  per fired timer", sweep_ms / max(swept.fired, 1), None, None))
    return results


def main():
    args = parse_args()
    url = recreate_database(args.admin_url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings_test")
    os.environ["TIMER_ETA_HORIZON"] = "0"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.TIMER_ETA_HORIZON = -(10**9)  # the sweeper alone, as after an outage
    try:
        call_command("migrate", verbosity=0)
        results = measure(args)
    finally:
        drop_database(args.admin_url)
    print(f"PostgreSQL, {args.active} active + {args.finished} closed incidents, ", end="")
    print(f"{args.repeat} runs each")
    print(f"{'what':<34} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for name, median, p95, queries in results:
        p95_text = f"{p95:8.1f}" if p95 is not None else f"{'':>8}"
        q_text = f"{queries:8d}" if queries is not None else f"{'':>8}"
        print(f"{name:<34} {median:10.1f} {p95_text} {q_text}")


if __name__ == "__main__":
    main()
