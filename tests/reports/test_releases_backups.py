"""Release/DORA and backup compliance reports against small hand-computed data sets."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from backups.alerts import ALERT_ACTION
from backups.models import BackupRun, RestoreTest
from itsm import roles
from itsm.audit import record_event
from releases.models import Deployment, Environment, Release
from reports.params import ReportFilterForm
from reports.selectors.backups import backup_report
from reports.selectors.releases import release_report
from tests.backups.factories import BackupPolicyFactory, BackupRunFactory, BackupTargetFactory
from tests.changes.factories import ChangeFactory
from tests.releases.factories import ReleaseFactory

from .factories import MAY, REPORT_NOW, SYSTEM, at


def params(**extra):
    form = ReportFilterForm({**MAY, **extra})
    assert form.is_valid(), form.errors
    return form.params()


# --- releases --------------------------------------------------------------------------------
#   r1 minor   planned  5 May  done; production deployment 6 May 10:00 succeeded; carries a
#                              change approved 4 May 10:00 -> lead time 48 h
#   r2 hotfix  planned 12 May  rolled back; production deployment 12 May 03:00 rolled back
#   r3 patch   planned 20 May  cancelled
#   r4 minor   planned 28 May  in staging, sent back to development twice before
#   r5 major   planned  2 June (outside May)
# May: 4 releases, shipped 1, rolled back 1 (rate 50.0 %), cancelled 1, in flight 1,
# 1 hotfix, sent back 2. DORA May: 1 successful production deployment, change failure rate
# 1 of 2 finished = 50.0 %, lead time 48 h.
def build_releases(world):
    def make(kind, stage, planned, **kwargs):
        return ReleaseFactory(
            kind=kind, stage=stage, planned_at=planned, team=world.team,
            services=[world.always], **kwargs,
        )  # fmt: skip

    r1 = make("minor", "done", at(5, 10), production_at=at(6, 10), done_at=at(6, 11))
    r2 = make("hotfix", "rolled_back", at(12, 2), rolled_back_at=at(12, 4))
    make("patch", "cancelled", at(20, 10))
    r4 = make("minor", "staging", at(28, 10))
    make("major", "development", at(2, 10, month=6))
    change = ChangeFactory(status="closed", decided_at=at(4, 10), planned_start=at(6, 9))
    r1.changes.add(change)
    for release, result, finished in ((r1, "succeeded", at(6, 10)), (r2, "rolled_back", at(12, 3))):
        Deployment.objects.create(
            release=release, pipeline="ci", run_id=f"deploy-{release.pk}", attempt=1,
            environment=Environment.PRODUCTION, version=release.version,
            strategy=release.strategy, result=result, finished_at=finished,
        )  # fmt: skip
    for _ in range(2):
        record_event(r4, action="fail_test", actor=None, source=SYSTEM, before="test")
    return Release.objects.all()


@pytest.fixture
def rel(world):
    build_releases(world)
    with time_machine.travel(REPORT_NOW, tick=False):
        return release_report(params())


def test_release_totals(rel):
    t = rel.totals
    assert [t[k] for k in ("planned", "done", "rolled_back", "cancelled", "in_flight")] == [
        4, 1, 1, 1, 1,
    ]  # fmt: skip
    assert (t["rollback_rate"], t["hotfixes"], t["sent_back"]) == (50.0, 1, 2)


def test_releases_by_kind(rel):
    rows = {row["key"]: row for row in rel.tables["by_kind"].rows}
    assert (rows["minor"]["planned"], rows["minor"]["sent_back"]) == (2, 2)
    assert rows["hotfix"]["rolled_back"] == 1 and rows["major"]["planned"] == 0
    assert "kind=hotfix" in rows["hotfix"]["_links"]["planned"]
    assert rows["hotfix"]["_links"]["rolled_back"].startswith(reverse("releases:list"))


def test_dora_by_month(rel):
    (may_row,) = rel.tables["dora"].rows
    assert may_row["deployments"] == 1
    assert may_row["change_failure_rate"] == 50.0
    assert may_row["lead_time_h"] == 48.0
    assert may_row["time_to_restore_h"] is None


def test_release_drilldown_lists_the_counted_releases(client, user_for, world):
    build_releases(world)
    client.force_login(user_for(roles.MANAGER))
    with time_machine.travel(REPORT_NOW, tick=False):
        report = release_report(params())
    listing = client.get(report.totals["_links"]["planned"])
    assert listing.status_code == 200
    html = listing.content.decode()
    shown = {r.version for r in Release.objects.all() if f">{r.version}<" in html}
    assert shown == set(
        Release.objects.filter(planned_at__lt=at(1, 0, month=6)).values_list("version", flat=True)
    )


# --- backups ---------------------------------------------------------------------------------
#   T1 (platform-ops, 6 h RPO, 4 h RTO): runs created in May: verified 3, 4, 5 May; succeeded
#   6 May; failed 7 May; verification failed 8 May. Restore tests: planned 10 May passed in
#   2 h; planned 15 May failed in 5 h. RPO breach alerted 9 May. On 20 May its newest
#   verified backup is 15 days old: breached.
# May: 6 runs, 3 verified, 1 unverified, 2 failed, success 4 of 6 = 66.7 %; 2 restore tests
# held, 1 passed, 1 within the RTO; 1 RPO breach.
def build_backups(world):
    target = BackupTargetFactory(owner_team=world.team, service=world.always, slug="orders-db")
    policy = BackupPolicyFactory(target=target)
    for day, status in ((3, "verified"), (4, "verified"), (5, "verified"), (6, "succeeded"),
                        (7, "failed"), (8, "verification_failed")):  # fmt: skip
        with time_machine.travel(at(day, 2), tick=False):
            BackupRunFactory(
                policy=policy, status=status, created_at=at(day, 2),
                verified_at=at(day, 3) if status == "verified" else None,
            )  # fmt: skip
    for day, status, hours in ((10, "passed", 2), (15, "failed", 5)):
        RestoreTest.objects.create(
            target=target, planned_for=at(day, 10), status=status,
            recovery_time=dt.timedelta(hours=hours), rto_target=dt.timedelta(hours=4),
        )  # fmt: skip
    with time_machine.travel(at(9, 9), tick=False):
        record_event(
            target, action=ALERT_ACTION, actor=None, source=SYSTEM,
            payload={"key": "rpo:1", "severity": "critical", "title": "RPO"},
        )  # fmt: skip
    BackupTargetFactory(owner_team=world.other_team, slug="desk-files")
    return target


@pytest.fixture
def bak(world):
    build_backups(world)
    with time_machine.travel(REPORT_NOW, tick=False):
        return backup_report(params(team="platform-ops"))


def test_backup_runs_and_drills_by_month(bak):
    (row,) = bak.tables["by_month"].rows
    figures = ["runs", "verified", "unverified", "failed", "drills", "drills_passed",
               "drills_within_rto", "rpo_breaches"]  # fmt: skip
    assert [row[k] for k in figures] == [6, 3, 1, 2, 2, 1, 1, 1]
    assert row["success_rate"] == 66.7
    assert "status=failed&status=verification_failed" in row["_links"]["failed"]


def test_backup_compliance_now(bak):
    assert [r["slug"] for r in bak.tables["compliance"].rows] == ["orders-db"]
    (target,) = bak.tables["compliance"].rows
    assert target["compliance_key"] == "breached"
    t = bak.totals
    assert (t["targets"], t["rpo_breached"], t["rpo_met"]) == (1, 1, 0)
    assert t["_links"]["rpo_breached"] == "/backups/?compliance=breached&team=platform-ops"


def test_backup_runs_of_other_teams_are_left_out(world):
    build_backups(world)
    with time_machine.travel(REPORT_NOW, tick=False):
        report = backup_report(params(team="service-desk"))
    assert report.tables["by_month"].rows[0]["runs"] == 0
    assert [r["slug"] for r in report.tables["compliance"].rows] == ["desk-files"]
    assert BackupRun.objects.count() == 6


@pytest.mark.parametrize("page", ["reports:releases", "reports:backups"])
def test_release_and_backup_pages(client, user_for, world, page, django_assert_max_num_queries):
    build_releases(world)
    build_backups(world)
    client.force_login(user_for(roles.EXECUTIVE))
    with time_machine.travel(REPORT_NOW, tick=False), django_assert_max_num_queries(20):
        response = client.get(reverse(page), MAY)
    assert response.status_code == 200
    assert 'type="application/json"' in response.content.decode()
    with time_machine.travel(REPORT_NOW, tick=False):
        csv = client.get(reverse(page), {**MAY, "export": "by_month"})
    assert csv["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize("url", ["/api/v1/reports/releases/", "/api/v1/reports/backups/"])
def test_release_and_backup_api(api_client_for, user_for, world, url):
    build_releases(world)
    build_backups(world)
    api = api_client_for(user_for(roles.OPS_MANAGER))
    with time_machine.travel(REPORT_NOW, tick=False):
        body = api.get(url, MAY).json()
    assert body["by_month"][0]["month"] == "2026-05-01"
    assert api_client_for(user_for(roles.ONCALL)).get(url).status_code == 403
