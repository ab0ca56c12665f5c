"""Benchmark of the change pages, the API list and the selectors other apps call.

Builds a throwaway test database (named from ITSM_TEST_DB_SUFFIX like the test suite), fills
it with CHANGES changes spread over SERVICES services and a year, each with checklists,
decisions and audit events, then prints median / p95 wall time and query counts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test ITSM_TEST_DB_SUFFIX=changes_bench \
        python bench/changes_pages.py [--changes 5000] [--runs 20]
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
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            function()
            times.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured.captured_queries))
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    print(f"{label:<46} {statistics.median(times):>9.2f} {p95:>9.2f} {max(queries):>8}")


def build(total: int, service_count: int):
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    from changes.checklists import default_items
    from changes.models import Approval, Change, ChecklistItem, Status
    from itsm import roles
    from itsm.models import AuditEvent, BusinessCalendar, Service, Team, User

    rng = random.Random(7)
    team = Team.objects.create(
        name="Ops", slug="ops", calendar=BusinessCalendar.objects.get(country="KR")
    )
    services = [
        Service.objects.create(
            name=f"Service {n}", slug=f"s{n}", owner_team=team, criticality=rng.randint(1, 4)
        )
        for n in range(service_count)
    ]
    people = []
    for n, role in enumerate([roles.REQUESTER] * 20 + [roles.OPS_MANAGER] * 5):
        user = User.objects.create_user(f"u{n}", password="x", email=f"u{n}@example.com")
        user.groups.add(Group.objects.get(name=role))
        people.append(user)
    manager = people[-1]
    now = dt.datetime.now(dt.UTC)
    states = list(Status.values)
    changes = []
    for n in range(total):
        start = now + dt.timedelta(hours=rng.randint(-24 * 180, 24 * 180))
        changes.append(
            Change(
                title=f"Change {n}: tune service {n % service_count}",
                change_class=rng.choice(["standard", "normal", "normal", "emergency", "major"]),
                status=rng.choice(states),
                requester=rng.choice(people[:20]),
                implementer=rng.choice(people[:20]),
                owner_team=team,
                planned_start=start,
                planned_end=start + dt.timedelta(hours=rng.randint(1, 6)),
                execution_plan="x",
                rollback_plan="y",
                backup_plan="z",
            )
        )
    Change.objects.bulk_create(changes, batch_size=1000)
    through = Change.services.through
    links = []
    for change in changes:
        for service in rng.sample(services, rng.randint(1, 3)):
            links.append(through(change_id=change.pk, service_id=service.pk))
    through.objects.bulk_create(links, batch_size=5000)
    items = [item for change in changes for item in default_items(change)]
    ChecklistItem.objects.bulk_create(items, batch_size=5000)
    kind = ContentType.objects.get_for_model(Change)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                content_type=kind,
                object_id=str(c.pk),
                action="create",
                source="system",
                to_state="draft",
            )  # fmt: skip
            for c in changes
        ],
        batch_size=5000,
    )
    approvals = [
        Approval(change=c, approver=approver, decision="approve")
        for c in changes
        if c.status not in {"draft", "submitted", "assessed"}
        for approver in people[20:22]
    ]
    Approval.objects.bulk_create(approvals, batch_size=5000)
    return manager, services, changes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=5000)
    parser.add_argument("--services", type=int, default=40)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from changes import selectors
        from changes.models import Change, ChecklistItem

        manager, services, changes = build(args.changes, args.services)
        busy = Change.objects.filter(status="awaiting_approval", change_class="major").first()
        page = Client()
        page.force_login(manager)
        api = APIClient()
        api.force_authenticate(manager)
        print(
            f"database: {connection.vendor}; changes: {Change.objects.count()}; "
            f"services: {len(services)}; checklist rows: {ChecklistItem.objects.count()}; "
            f"runs per line: {args.runs}"
        )
        print(f"{'operation':<46} {'median ms':>9} {'p95 ms':>9} {'queries':>8}")
        measure("list page, 25 per page", lambda: page.get("/changes/"), args.runs)
        measure("list page, 100 per page", lambda: page.get("/changes/?page_size=100"), args.runs)
        measure(
            "list page, service + state filter, sorted",
            lambda: page.get("/changes/?service=s3&status=scheduled&ordering=-risk"),
            args.runs,
        )
        measure("list page, search 'tune service 7'",
                lambda: page.get("/changes/?q=tune+service+7"), args.runs)  # fmt: skip
        measure("detail page (major, awaiting approval)",
                lambda: page.get(f"/changes/{busy.pk}/"), args.runs)  # fmt: skip
        measure("inbox page", lambda: page.get("/changes/approvals/"), args.runs)
        measure("calendar, month view", lambda: page.get("/changes/calendar/"), args.runs)
        measure("calendar, week view", lambda: page.get("/changes/calendar/?view=week"), args.runs)
        measure("API list, page_size=50", lambda: api.get("/api/v1/changes/?page_size=50"),
                args.runs)  # fmt: skip
        measure("API list, page_size=200", lambda: api.get("/api/v1/changes/?page_size=200"),
                args.runs)  # fmt: skip
        measure("API detail", lambda: api.get(f"/api/v1/changes/{busy.pk}/"), args.runs)
        ids = [services[3].pk]
        at = changes[len(changes) // 2].planned_start
        measure(
            "approved_change_covering(1 service)",
            lambda: selectors.approved_change_covering(service_ids=ids, at=at),
            args.runs,
        )
        measure("approved_change_covering(3 services)", lambda: selectors.approved_change_covering(
            service_ids=[s.pk for s in services[:3]], at=at), args.runs)  # fmt: skip
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
