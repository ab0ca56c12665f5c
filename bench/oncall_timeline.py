"""Benchmark of on-call resolution: who is on call now, timelines, the list page, the API.

Builds a throwaway test database (named from ITSM_TEST_DB_SUFFIX like the test suite),
fills it with TEAMS teams, each with a primary and a secondary schedule of several layered
rotations and many overrides, then prints median / p95 wall time and query counts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test ITSM_TEST_DB_SUFFIX=oncall_bench \
        python bench/oncall_timeline.py [--teams 50] [--runs 30]
"""

import argparse
import datetime as dt
import os
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
    print(f"{label:<44} {statistics.median(times):>9.2f} {p95:>9.2f} {max(queries):>8}")


def build(teams: int):
    from itsm import roles
    from itsm.audit import Source
    from itsm.models import BusinessCalendar, Membership, Team, User
    from oncall.models import Override, Rotation, RotationMember, Schedule

    calendar = BusinessCalendar.objects.get(country="KR")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=60)
    manager = User.objects.create_user("bench-manager", password="x")
    manager.groups.add(
        *__import__("django.contrib.auth.models", fromlist=["Group"]).Group.objects.filter(
            name=roles.MANAGER
        )
    )
    people_total = overrides_total = rotations_total = 0
    for t in range(teams):
        team = Team.objects.create(name=f"Team {t}", slug=f"team-{t}", calendar=calendar)
        people = [User(username=f"t{t}-p{p}", email=f"t{t}p{p}@example.com") for p in range(8)]
        User.objects.bulk_create(people)
        people = list(User.objects.filter(username__startswith=f"t{t}-"))
        Membership.objects.bulk_create(Membership(team=team, user=p) for p in people)
        people_total += len(people)
        for level in (1, 2):
            schedule = Schedule.objects.create(
                team=team, name=f"L{level}", level=level, time_zone="Asia/Seoul"
            )
            specs = [
                ("Nights and weekends", 1, "weekly", 168, "none", []),
                ("Working hours", 2, "daily", 24, "business_hours", []),
                (
                    "Follow the sun",
                    3,
                    "custom",
                    12,
                    "windows",
                    [{"days": [5, 6], "start": "08:00", "end": "20:00"}],
                ),
            ]
            for name, layer, kind, length, restriction, windows in specs:
                rotation = Rotation.objects.create(
                    schedule=schedule,
                    name=name,
                    layer=layer,
                    kind=kind,
                    shift_length_hours=length,
                    start_date=dt.date(2026, 1, 5),
                    handoff_time=dt.time(9),
                    time_zone="Asia/Seoul",
                    restriction=restriction,
                    windows=windows,
                )
                RotationMember.objects.bulk_create(
                    RotationMember(rotation=rotation, user=p, position=n)
                    for n, p in enumerate(people[layer - 1 :] + people[: layer - 1])
                )
                rotations_total += 1
            Override.objects.bulk_create(
                Override(
                    schedule=schedule,
                    user=people[n % 8],
                    replaces=people[(n + 1) % 8] if n % 2 else None,
                    start=start + dt.timedelta(hours=13 * n),
                    end=start + dt.timedelta(hours=13 * n + 5),
                    created_by=manager,
                )
                for n in range(200)
            )
            overrides_total += 200
    print(
        f"data: {teams} teams, {2 * teams} schedules, {rotations_total} rotations, "
        f"{people_total} people, {overrides_total} overrides"
    )
    return manager, Source


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from django.utils import timezone

        from oncall import selectors

        manager, _source = build(args.teams)
        now = timezone.now()
        print(f"database: {connection.vendor}; runs per line: {args.runs}")
        print(f"{'operation':<44} {'median ms':>9} {'p95 ms':>9} {'queries':>8}")
        measure(
            "on_call(team, at=now)", lambda: selectors.on_call(team="team-7", at=now), args.runs
        )
        measure(
            "on_call_for_level(level=2)",
            lambda: selectors.on_call_for_level(team="team-7", level=2, at=now),
            args.runs,
        )
        measure(
            "on_call_detail (since/until/next)",
            lambda: selectors.on_call_detail(team="team-7", at=now),
            args.runs,
        )
        one = selectors.schedules().filter(team__slug="team-7", level=1)
        measure(
            "timeline 2 weeks, one schedule, layers",
            lambda: selectors.timelines(one, now, now + dt.timedelta(days=14), layers=True),
            args.runs,
        )
        measure(
            "timeline 8 weeks, one schedule, layers",
            lambda: selectors.timelines(one, now, now + dt.timedelta(days=56), layers=True),
            args.runs,
        )
        measure(
            f"timelines 2 weeks, all {2 * args.teams} schedules",
            lambda: selectors.timelines(selectors.schedules(), now, now + dt.timedelta(days=14)),
            max(3, args.runs // 5),
        )
        month = now.astimezone(dt.UTC)
        measure(
            f"fairness report, one month, {2 * args.teams} schedules",
            lambda: selectors.fairness_report(selectors.schedules(), month.year, month.month),
            max(3, args.runs // 5),
        )
        client = Client()
        client.force_login(manager)
        measure(
            "GET /oncall/ (list page, 50 per page)",
            lambda: client.get("/oncall/"),
            max(3, args.runs // 3),
        )
        schedule = one.get()
        measure(
            "GET /oncall/schedules/<id>/?weeks=2",
            lambda: client.get(f"/oncall/schedules/{schedule.pk}/?weeks=2"),
            args.runs,
        )
        api = APIClient()
        api.force_authenticate(manager)
        measure(
            "GET /api/v1/oncall/team-7/now", lambda: api.get("/api/v1/oncall/team-7/now"), args.runs
        )
        measure(
            "GET /api/v1/oncall/overrides/ (page of 50)",
            lambda: api.get("/api/v1/oncall/overrides/"),
            args.runs,
        )
        measure(
            "GET /api/v1/oncall/rotations/ (page of 50)",
            lambda: api.get("/api/v1/oncall/rotations/"),
            args.runs,
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
