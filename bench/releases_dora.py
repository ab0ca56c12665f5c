"""Benchmark of the releases app: DORA figures, lists and CI/CD reports at scale.

Builds a throwaway test database (named from ITSM_TEST_DB_SUFFIX like the test suite), fills
it with RELEASES finished releases over two years (test, staging and production deployments,
a linked approved change each, some rollbacks, failures and incidents caused by deployments),
then prints median / p95 wall time and query counts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test ITSM_TEST_DB_SUFFIX=releases_bench \
        python bench/releases_dora.py [--releases 20000] [--runs 20]
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402


def measure(label, function, runs):
    times, queries = [], []
    for i in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            function(i)
            times.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured.captured_queries))
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    print(f"{label:<52} {statistics.median(times):>9.2f} {p95:>9.2f} {max(queries):>8}")


def build(count: int):
    from django.contrib.auth.models import Group

    from changes.models import Change
    from incidents.models import Incident
    from itsm import roles
    from itsm.models import BusinessCalendar, Service, Team, User
    from releases.models import Deployment, DeploymentIncident, Release

    rng = random.Random(7)  # noqa: S311 - reproducible data, not security
    calendar = BusinessCalendar.objects.get(country="KR")
    teams = [
        Team.objects.create(name=f"Team {t}", slug=f"team-{t}", calendar=calendar) for t in range(4)
    ]
    services = [
        Service.objects.create(name=f"Service {s}", slug=f"svc-{s}", owner_team=teams[s % 4])
        for s in range(20)
    ]
    manager = User.objects.create_user("bench-manager", password="x")
    manager.groups.add(Group.objects.get(name=roles.MANAGER))
    ci = User.objects.create_user("bench-ci", password="x")
    ci.groups.add(Group.objects.get(name=roles.DEVELOPER))

    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(days=730)
    step = (now - start) / count
    releases, changes, when = [], [], []
    for i in range(count):
        at = start + step * i
        when.append(at)
        rolled_back = rng.random() < 0.05
        releases.append(
            Release(
                version=f"{i // 1000}.{i % 1000}.0",
                title=f"Release {i}",
                kind=rng.choice(["major", "minor", "patch", "patch", "hotfix"]),
                stage="rolled_back" if rolled_back else "done",
                team=teams[i % 4],
                strategy="rolling",
                rolling_batch_percent=25,
                attempt=1,
                planned_at=at - dt.timedelta(hours=2),
                production_at=at,
                done_at=None if rolled_back else at + dt.timedelta(hours=4),
                rolled_back_at=at + dt.timedelta(hours=1) if rolled_back else None,
                rolled_back_from="production" if rolled_back else "",
            )
        )
        changes.append(
            Change(
                title=f"Deploy {i}",
                change_class="normal",
                status="closed",
                requester=manager,
                owner_team=teams[i % 4],
                planned_start=at - dt.timedelta(hours=1),
                planned_end=at + dt.timedelta(hours=1),
                decided_at=at - dt.timedelta(hours=rng.randint(4, 120)),
            )
        )
    releases = Release.objects.bulk_create(releases, batch_size=2000)
    changes = Change.objects.bulk_create(changes, batch_size=2000)
    Release.services.through.objects.bulk_create(
        [
            Release.services.through(release_id=r.pk, service_id=s.pk)
            for r in releases
            for s in rng.sample(services, rng.choice([1, 1, 2]))
        ],
        batch_size=5000,
    )
    Release.changes.through.objects.bulk_create(
        [
            Release.changes.through(release_id=r.pk, change_id=c.pk)
            for r, c in zip(releases, changes, strict=True)
        ],
        batch_size=5000,
    )
    deployments = []
    for release, at in zip(releases, when, strict=True):
        for env, back in (("test", 48), ("staging", 24), ("production", 0)):
            finished = at - dt.timedelta(hours=back)
            result = "succeeded"
            if env == "production" and rng.random() < 0.03:
                result = "failed"
            deployments.append(
                Deployment(
                    release=release,
                    environment=env,
                    version=release.version,
                    strategy="rolling",
                    result=result,
                    pipeline="deploy.yml",
                    run_id=f"{release.pk}-{env}",
                    attempt=1,
                    reported_by=ci,
                    started_at=finished - dt.timedelta(minutes=9),
                    finished_at=finished,
                    rolled_back_at=release.rolled_back_at if env == "production" else None,
                )  # fmt: skip
            )
    deployments = Deployment.objects.bulk_create(deployments, batch_size=5000)
    production = [d for d in deployments if d.environment == "production"]
    caused = rng.sample(production, max(1, len(production) // 40))
    incidents = Incident.objects.bulk_create(
        [
            Incident(
                title=f"Caused by {d.run_id}",
                service=services[0],
                team=teams[0],
                scope="some_users",
                business_impact="loss_of_trust",
                urgency="planned",
                impact="medium",
                matrix_priority="P3",
                priority="P3",
                status="recovered",
                detected_at=d.finished_at + dt.timedelta(minutes=20),
                recovered_at=d.finished_at + dt.timedelta(minutes=rng.randint(30, 600)),
            )  # fmt: skip
            for d in caused
        ],
        batch_size=2000,
    )
    DeploymentIncident.objects.bulk_create(
        [
            DeploymentIncident(deployment=d, incident=i)
            for d, i in zip(caused, incidents, strict=True)
        ]
    )
    live = Release.objects.create(
        version="bench-live", team=teams[0], stage="test", attempt=1,
        strategy="rolling", rolling_batch_percent=25,
    )  # fmt: skip
    live.services.add(services[0])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return manager, ci, live, services, len(deployments), len(incidents)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--releases", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    from django.utils import timezone

    from releases import dora, services

    started = time.perf_counter()
    manager, ci, live, svcs, deployments, incidents = build(args.releases)
    print(
        f"database: {connection.vendor}; {args.releases} releases, {deployments} deployments, "
        f"{incidents} incidents caused by deployments; built in "
        f"{time.perf_counter() - started:.0f} s; runs per line: {args.runs}"
    )
    print(f"{'operation':<52} {'median ms':>9} {'p95 ms':>9} {'queries':>8}")
    today = timezone.localdate()
    month = today.replace(day=1)
    year_ago = (month - dt.timedelta(days=335)).replace(day=1)
    runs = args.runs
    measure(
        "dora_table, one month, all services",
        lambda i: dora.dora_table(first=month, last=today),
        runs,
    )
    measure(
        "dora_table, 12 months, all services",
        lambda i: dora.dora_table(first=year_ago, last=today),
        runs,
    )
    measure(
        "dora_table, 12 months, one service",
        lambda i: dora.dora_table(first=year_ago, last=today, services=[svcs[3].pk]),
        runs,
    )
    api = APIClient()
    api.force_authenticate(manager)
    measure("GET /api/v1/releases/ (50 a page)", lambda i: api.get("/api/v1/releases/"), runs)
    measure(
        "GET /api/v1/releases/?service=&state=finished",
        lambda i: api.get("/api/v1/releases/?service=svc-3&state=finished"),
        runs,
    )
    measure(
        "GET /api/v1/deployments/?environment=production",
        lambda i: api.get("/api/v1/deployments/?environment=production"),
        runs,
    )
    measure(
        "GET /api/v1/releases/dora/?months=12",
        lambda i: api.get("/api/v1/releases/dora/?months=12"),
        runs,
    )
    page = Client()
    page.force_login(manager)
    measure("page /releases/ (50 a page)", lambda i: page.get("/releases/"), runs)
    some = live.pk - 1
    measure("page /releases/<id>/ (detail)", lambda i: page.get(f"/releases/{some}/"), runs)
    measure("page /releases/calendar/", lambda i: page.get("/releases/calendar/"), runs)
    measure(
        "deployment_report, a new run",
        lambda i: services.deployment_report(
            release_id=live.pk,
            actor=ci,
            source="api",
            environment="test",
            run_id=f"new-{i}",
            pipeline="p",
            result="succeeded",
        ),  # fmt: skip
        runs,
    )
    measure(
        "deployment_report, the same run again (idempotent)",
        lambda i: services.deployment_report(
            release_id=live.pk,
            actor=ci,
            source="api",
            environment="test",
            run_id="new-0",
            pipeline="p",
            result="succeeded",
        ),  # fmt: skip
        runs,
    )
    connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
