"""Each job the portal performs on itself really does its work."""

import gzip
import hashlib
import os
import sqlite3
import tarfile
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.utils import timezone

from maintenance.jobs import FAILED, SUCCEEDED, WARNING, JobContext, perform
from maintenance.jobs import reports as report_jobs
from maintenance.models import JobKind

pytestmark = pytest.mark.django_db


def ctx(kind, now=None, **parameters):
    return JobContext(
        job_id=None, kind=kind, name=kind, parameters=parameters, now=now or timezone.now()
    )


def age(path, hours, now=None):
    moment = (now or timezone.now()).timestamp() - hours * 3600
    os.utime(path, (moment, moment), follow_symlinks=False)


# --- sessions ---------------------------------------------------------------------------


def test_expired_sessions_are_gone_and_live_ones_stay():
    live = SessionStore()
    live["user"] = 1
    live.create()
    for _ in range(3):
        old = SessionStore()
        old.create()
    Session.objects.exclude(session_key=live.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    outcome = perform(ctx(JobKind.PURGE_SESSIONS))
    assert outcome.status == SUCCEEDED
    assert outcome.details == {"deleted": 3, "remaining": 1}
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


# --- caches -----------------------------------------------------------------------------


@pytest.fixture
def file_cache(settings, tmp_path):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "files": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        },
    }
    caches._settings = caches.settings = settings.CACHES
    for alias in ("default", "files"):
        if hasattr(caches._connections, alias):
            delattr(caches._connections, alias)
    yield caches["files"]
    caches["files"].clear()


def test_expired_file_cache_entries_are_removed_and_fresh_ones_kept(file_cache, tmp_path):
    start = datetime(2026, 5, 1, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        file_cache.set("short", 1, timeout=60)
        file_cache.set("long", 2, timeout=3600)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        outcome = perform(ctx(JobKind.CLEAN_CACHE))
        assert outcome.details["files"]["removed"] == 1
        assert outcome.details["default"]["removed"] == 0
        assert len(list((tmp_path / "cache").glob("*.djcache"))) == 1
        assert file_cache.get("long") == 2


def test_clear_all_empties_every_cache(file_cache):
    file_cache.set("key", 1, timeout=3600)
    caches["default"].set("other", 2)
    outcome = perform(ctx(JobKind.CLEAN_CACHE, clear_all=True))
    assert outcome.status == SUCCEEDED
    assert file_cache.get("key") is None and caches["default"].get("other") is None


# --- temporary files --------------------------------------------------------------------


def test_old_temporary_files_go_new_ones_stay_and_links_are_never_followed(var_dir, tmp_path):
    tmp = var_dir / "tmp"
    (tmp / "upload" / "deep").mkdir(parents=True)
    old_file = tmp / "upload" / "deep" / "old.bin"
    old_file.write_bytes(b"x" * 100)
    new_file = tmp / "new.txt"
    new_file.write_text("fresh")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("must survive")
    link = tmp / "link-out"
    link.symlink_to(outside)
    now = timezone.now()
    age(old_file, 48, now)
    age(link, 48, now)
    age(outside, 48, now)
    age(tmp / "upload" / "deep", 48, now)
    age(tmp / "upload", 48, now)
    outcome = perform(ctx(JobKind.CLEAN_TEMP_FILES, now=now))
    assert outcome.status == SUCCEEDED
    assert outcome.details["deleted"] == 2 and outcome.details["bytes"] >= 100
    assert not old_file.exists() and not link.is_symlink()
    assert not (tmp / "upload" / "deep").exists()
    assert new_file.exists()
    assert outside.read_text() == "must survive"
    outside.unlink()


def test_the_age_limit_is_a_parameter(var_dir):
    tmp = var_dir / "tmp"
    tmp.mkdir()
    (tmp / "two-hours.txt").write_text("x")
    age(tmp / "two-hours.txt", 2)
    assert perform(ctx(JobKind.CLEAN_TEMP_FILES)).details["deleted"] == 0
    assert perform(ctx(JobKind.CLEAN_TEMP_FILES, max_age_hours=1)).details["deleted"] == 1


# --- logs -------------------------------------------------------------------------------


def test_logs_are_compressed_truncated_and_kept_for_n_generations(var_dir):
    logs = var_dir / "log"
    logs.mkdir()
    log = logs / "portal.log"
    for day in range(4):
        log.write_text(f"day {day}\n")
        outcome = perform(ctx(JobKind.ROTATE_LOGS, keep=2))
        assert outcome.status == SUCCEEDED
    assert log.read_text() == ""
    assert sorted(p.name for p in logs.iterdir()) == [
        "portal.log",
        "portal.log.1.gz",
        "portal.log.2.gz",
    ]
    assert gzip.decompress((logs / "portal.log.1.gz").read_bytes()) == b"day 3\n"
    assert gzip.decompress((logs / "portal.log.2.gz").read_bytes()) == b"day 2\n"


def test_no_log_folder_is_nothing_to_do(var_dir):
    outcome = perform(ctx(JobKind.ROTATE_LOGS))
    assert outcome.status == SUCCEEDED and "nothing to rotate" in outcome.output


# --- database ---------------------------------------------------------------------------


def test_sqlite_optimisation_runs_analyze_and_optimize():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    from itsm.models import Team

    Team.objects.create(name="Analysed", slug="analysed")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    outcome = perform(ctx(JobKind.OPTIMISE_DATABASE))
    assert outcome.status == SUCCEEDED
    assert outcome.details["analyze"] and outcome.details["optimize"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'itsm_team'")
        assert cursor.fetchone()[0] >= 1  # ANALYZE wrote statistics for the table


def _reltuples(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_postgres_optimisation_runs_analyze_inside_a_transaction():
    from maintenance.models import PendingUpdate

    for n in range(5):
        PendingUpdate.objects.create(component=f"c{n}", version="1")
    outcome = perform(ctx(JobKind.OPTIMISE_DATABASE))
    assert outcome.details["analyze"] and not outcome.details["vacuum"]
    assert "VACUUM skipped" in outcome.output
    assert _reltuples("maintenance_pendingupdate") == 5  # fresh statistics from ANALYZE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_optimisation_vacuums_in_autocommit():
    from maintenance.models import PendingUpdate

    for n in range(5):
        PendingUpdate.objects.create(component=f"v{n}", version="1")
    outcome = perform(ctx(JobKind.OPTIMISE_DATABASE))
    assert outcome.details["vacuum"] is True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relallvisible FROM pg_class WHERE relname = 'maintenance_pendingupdate'"
        )
        assert cursor.fetchone()[0] >= 1  # VACUUM set the visibility map


def test_index_rebuild_runs():
    outcome = perform(ctx(JobKind.REBUILD_INDEXES))
    assert outcome.status == SUCCEEDED
    if connection.vendor == "postgresql":
        assert outcome.details["tables"] > 10


# --- backups ----------------------------------------------------------------------------


@pytest.fixture
def files_only(monkeypatch):
    """Without a portal backup target the job checks the newest file under var/backups."""
    from maintenance import integration

    monkeypatch.setattr(integration, "latest_backup_check", lambda **kwargs: None)


def write_gzip(path, payload=b"dump" * 100):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload))
    return path


def test_no_backup_at_all_fails_and_says_where_it_looked(var_dir, files_only):
    outcome = perform(ctx(JobKind.VERIFY_BACKUP))
    assert outcome.status == FAILED
    assert str(var_dir / "backups") in outcome.output


def test_the_newest_intact_backup_passes(var_dir, files_only):
    older = write_gzip(var_dir / "backups" / "db-1.sql.gz")
    age(older, 30)
    newest = write_gzip(var_dir / "backups" / "db-2.sql.gz")
    age(newest, 2)
    outcome = perform(ctx(JobKind.VERIFY_BACKUP))
    assert outcome.status == SUCCEEDED, outcome.output
    assert outcome.details["file"].endswith("db-2.sql.gz")
    assert outcome.details["content_ok"] is True


def test_a_stale_backup_fails_against_the_rpo(var_dir, files_only):
    age(write_gzip(var_dir / "backups" / "db.sql.gz"), 40)
    outcome = perform(ctx(JobKind.VERIFY_BACKUP))
    assert outcome.status == FAILED and "older than 30 h" in outcome.output
    assert perform(ctx(JobKind.VERIFY_BACKUP, max_age_hours=48)).status == SUCCEEDED


def test_a_truncated_gzip_fails(var_dir, files_only):
    path = write_gzip(var_dir / "backups" / "db.sql.gz")
    path.write_bytes(path.read_bytes()[:-10])
    outcome = perform(ctx(JobKind.VERIFY_BACKUP))
    assert outcome.status == FAILED and outcome.details["content_ok"] is False


def test_a_checksum_file_is_compared(var_dir, files_only):
    path = var_dir / "backups" / "db.dump.enc"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"encrypted bytes")
    sidecar = path.with_name(path.name + ".sha256")
    sidecar.write_text(hashlib.sha256(b"encrypted bytes").hexdigest() + "  db.dump.enc\n")
    assert perform(ctx(JobKind.VERIFY_BACKUP)).status == SUCCEEDED
    sidecar.write_text("0" * 64)
    assert perform(ctx(JobKind.VERIFY_BACKUP)).status == FAILED


def test_an_unverifiable_format_is_a_warning(var_dir, files_only):
    path = var_dir / "backups" / "db.dump.enc"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"encrypted bytes")
    outcome = perform(ctx(JobKind.VERIFY_BACKUP))
    assert outcome.status == WARNING and outcome.details["content_ok"] is None


def test_sqlite_and_tar_backups_are_opened(var_dir, files_only):
    folder = var_dir / "backups"
    folder.mkdir()
    db = folder / "portal.sqlite3"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE t (x)")
    assert perform(ctx(JobKind.VERIFY_BACKUP)).details["content_ok"] is True
    archive = folder / "files.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(db, arcname="portal.sqlite3")
    outcome = perform(ctx(JobKind.VERIFY_BACKUP))
    assert outcome.details["file"].endswith("files.tar.gz") and outcome.status == SUCCEEDED


def test_the_backups_app_verdict_is_used_when_it_offers_one(monkeypatch, var_dir):
    from maintenance import integration

    verdict = integration.BackupCheck(False, "restore test failed", {"id": 7})
    monkeypatch.setattr(integration, "latest_backup_check", lambda **kw: verdict)
    outcome = perform(ctx(JobKind.VERIFY_BACKUP))
    assert (outcome.status, outcome.output) == (FAILED, "restore test failed")


# --- capacity report --------------------------------------------------------------------


def fake_disk(percent):
    def usage(path):
        return type("U", (), {"total": 1000, "used": percent * 10, "free": 1000 - percent * 10})

    return usage


def test_the_capacity_report_reads_the_portals_own_figures(var_dir):
    outcome = perform(ctx(JobKind.CAPACITY_REPORT))
    assert outcome.details["database_bytes"] > 0
    assert outcome.details["rows"]["maintenance_maintenanceplan"] >= 4 or (
        connection.vendor == "postgresql"
    )
    assert "itsm_user" in outcome.details["rows"]
    assert "Database:" in outcome.output and "Activity (30 days)" in outcome.output


@pytest.mark.parametrize(("percent", "status"), [(50, SUCCEEDED), (85, WARNING), (95, FAILED)])
def test_disk_thresholds_decide_the_result(monkeypatch, var_dir, percent, status):
    monkeypatch.setattr(report_jobs.shutil, "disk_usage", fake_disk(percent))
    assert perform(ctx(JobKind.CAPACITY_REPORT)).status == status


def test_database_thresholds_are_policy(monkeypatch, var_dir):
    monkeypatch.setattr(report_jobs, "database_size", lambda: 5_000_000_000)
    monkeypatch.setattr(report_jobs.shutil, "disk_usage", fake_disk(10))
    outcome = perform(ctx(JobKind.CAPACITY_REPORT, database_warning_mb=1000))
    assert outcome.status == WARNING
    outcome = perform(ctx(JobKind.CAPACITY_REPORT, database_critical_mb=4000))
    assert outcome.status == FAILED
