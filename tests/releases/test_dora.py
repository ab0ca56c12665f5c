"""DORA figures on a small known history, computed by hand.

March 2026 (UTC):
  D1  service A        succeeded 03-05 12:00   change C1 approved 03-03 12:00 (48 h)
  D2  services A and B succeeded 03-10 00:00   changes C2 03-09 12:00 (12 h), C3 03-09 18:00 (6 h)
                       — later rolled back
  D3  service B        failed    03-20 00:00
  D4  service B        succeeded 03-25 00:00   caused incident I1: impact from 03-25 00:30,
                                               recovered 03-25 03:00 (2.5 h)
      (D2 also caused incident I2: detected 03-10 02:00, recovered 03-10 06:00 (4 h))
  a canary deployment of A on 03-06 (not production: ignored)
April 2026:
  D5  service A        succeeded 04-02 00:00   change C5 approved 04-01 00:00 (24 h),
                                               change C6 rejected 03-30 (never approved: ignored)
  D6  service A        in progress, not finished (ignored)

                 deployments  finished  failures  CFR    lead time (median)   restore (median)
  A   2026-03        2           2         1       50 %   48, 12, 6  → 12 h     4        → 4 h
  B   2026-03        2           3         3      100 %   12, 6      →  9 h     2.5, 4   → 3.25 h
  all 2026-03        3           4         3       75 %   48, 12, 6  → 12 h     2.5, 4   → 3.25 h
  A   2026-04        1           1         0        0 %   24         → 24 h     —
  all 2026-04        1           1         0        0 %   24         → 24 h     —
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from releases import dora
from releases.models import Deployment, DeploymentIncident, Environment, Stage
from tests.changes.factories import ChangeFactory
from tests.itsm.factories import ServiceFactory

from .factories import ReleaseFactory, incident_row, report

pytestmark = pytest.mark.django_db


def at(month, day, hour=0):
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def history():
    a = ServiceFactory(name="A")
    b = ServiceFactory(name="B")

    def shipped(services, when, *, result="succeeded", changes=(), rolled_back=False):
        release = ReleaseFactory(stage=Stage.DONE, attempt=1, services=services)
        release.changes.set(
            [
                ChangeFactory(status=status, decided_at=decided, services=services)
                for decided, status in changes
            ]
        )
        return report(
            Deployment,
            release,
            environment=Environment.PRODUCTION,
            result=result,
            started_at=when - timedelta(minutes=10) if when else None,
            finished_at=when,
            rolled_back_at=when + timedelta(hours=5) if rolled_back else None,
        )

    shipped([a], at(3, 5, 12), changes=[(at(3, 3, 12), "completed")])
    d2 = shipped([a, b], at(3, 10), changes=[(at(3, 9, 12), "closed"), (at(3, 9, 18), "approved")],
                 rolled_back=True)  # fmt: skip
    shipped([b], at(3, 20), result="failed")
    d4 = shipped([b], at(3, 25))
    i1 = incident_row(
        b,
        detected_at=at(3, 25, 1),
        impact_started_at=at(3, 25) + timedelta(minutes=30),
        recovered_at=at(3, 25, 3),
        status="recovered",
    )
    i2 = incident_row(a, detected_at=at(3, 10, 2), recovered_at=at(3, 10, 6), status="recovered")
    incident_row(a, detected_at=at(3, 26))  # not recovered yet: no sample
    DeploymentIncident.objects.create(deployment=d4, incident=i1)
    DeploymentIncident.objects.create(deployment=d2, incident=i2)
    canary = ReleaseFactory(stage=Stage.CANARY, attempt=1, services=[a])
    report(Deployment, canary, environment=Environment.CANARY, finished_at=at(3, 6))
    shipped([a], at(4, 2), changes=[(at(4, 1), "completed"), (at(3, 30), "rejected")])
    shipped([a], None, result="in_progress")
    return a, b


def table(services=None):
    rows = dora.dora_table(
        first=date(2026, 3, 1), last=date(2026, 4, 30), services=services, tz=UTC
    )
    return {
        (r.service or "all", r.month.strftime("%m")): (
            r.deployments,
            r.finished,
            r.failures,
            r.change_failure_rate,
            r.lead_time and r.lead_time.total_seconds() / 3600,
            r.time_to_restore and r.time_to_restore.total_seconds() / 3600,
        )
        for r in rows
    }


def test_dora_per_service_and_month(history):
    assert table() == {
        ("A", "03"): (2, 2, 1, 50.0, 12.0, 4.0),
        ("B", "03"): (2, 3, 3, 100.0, 9.0, 3.25),
        ("all", "03"): (3, 4, 3, 75.0, 12.0, 3.25),
        ("A", "04"): (1, 1, 0, 0.0, 24.0, None),
        ("all", "04"): (1, 1, 0, 0.0, 24.0, None),
    }


def test_dora_for_one_service(history):
    _a, b = history
    assert table(services=[b.pk]) == {
        ("B", "03"): (2, 3, 3, 100.0, 9.0, 3.25),
        ("all", "03"): (2, 3, 3, 100.0, 9.0, 3.25),
    }


def test_dora_rows_as_json(history):
    row = next(r for r in dora.dora_table(first=date(2026, 3, 1), last=date(2026, 3, 31), tz=UTC)
               if r.service == "B")  # fmt: skip
    assert row.as_dict() == {
        "service": "B",
        "service_id": history[1].pk,
        "month": "2026-03",
        "deployments": 2,
        "production_deployments_finished": 3,
        "failed_deployments": 3,
        "change_failure_rate": 100.0,
        "lead_time_hours": 9.0,
        "lead_time_samples": 2,
        "time_to_restore_hours": 3.25,
        "restore_samples": 2,
    }


def test_months_follow_the_time_zone():
    """A deployment at 23:30 UTC on March 31 is an April deployment in Seoul."""
    from zoneinfo import ZoneInfo

    release = ReleaseFactory(stage=Stage.DONE, attempt=1)
    report(
        Deployment,
        release,
        environment=Environment.PRODUCTION,
        finished_at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC),
    )
    seoul = dora.dora_table(
        first=date(2026, 3, 1), last=date(2026, 4, 30), tz=ZoneInfo("Asia/Seoul")
    )
    assert {r.month for r in seoul} == {date(2026, 4, 1)}
    utc = dora.dora_table(first=date(2026, 3, 1), last=date(2026, 4, 30), tz=UTC)
    assert {r.month for r in utc} == {date(2026, 3, 1)}


def test_the_api_serves_the_same_rows(history, user_for, api_client_for, time_machine):
    from itsm import roles

    time_machine.move_to(datetime(2026, 4, 20, tzinfo=UTC))
    rows = api_client_for(user_for(roles.MANAGER)).get("/api/v1/releases/dora/?months=2").json()
    march = {r["service"]: r for r in rows if r["month"] == "2026-03"}
    assert march["B"]["change_failure_rate"] == 100.0
    assert march[""]["deployments"] == 3


def test_dora_queries_do_not_grow_with_history(history, django_assert_max_num_queries):
    with django_assert_max_num_queries(7) as few:
        table()
    for _ in range(10):
        release = ReleaseFactory(stage=Stage.DONE, attempt=1, services=[history[0]])
        report(Deployment, release, environment=Environment.PRODUCTION, finished_at=at(3, 15))
    with django_assert_max_num_queries(len(few.captured_queries)):
        table()
