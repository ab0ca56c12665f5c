"""The portal backs up its own database for real: SQLite online backup or pg_dump, checksum,
manifest, optional encryption, verified by a test restore into a scratch database.

These run on whichever database the suite uses (SQLite by default, PostgreSQL with
DATABASE_URL); the `postgres` tests insist on PostgreSQL and real pg_dump / pg_restore.
"""

import gzip
import sqlite3
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from backups import services
from backups.alerts import ALERT_ACTION
from backups.models import BackupPolicy, BackupRun
from backups.portal import storage
from backups.portal.backup import portal_backup, portal_target, portal_verify
from itsm.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
S = BackupRun.Status


def corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_backup_and_verified_restore(settings):
    run = portal_backup()
    assert run.status == S.VERIFIED, run.failure_reason
    path = Path(run.location)
    assert path.parent == settings.BACKUPS_DIR and path.name.startswith("portal-")
    assert run.checksum == storage.sha256(path) and run.size_bytes == path.stat().st_size
    manifest = storage.read_manifest(path)
    assert manifest["engine"] == connection.vendor and manifest["checksum"] == run.checksum
    counts = run.details["row_counts"]
    assert counts["backups_backuptarget"] >= 1 and counts["backups_backuprun"] >= 1
    assert "Checksum matches" in run.verification_note
    assert run.target.is_portal and run.origin == "portal" and run.recovery_point
    actions = AuditEvent.objects.for_object(run).values_list("action", flat=True)
    assert list(actions) == ["created", "start", "finish", "verify"]
    assert not list(settings.BACKUPS_DIR.glob(".work-*"))  # scratch files cleaned up


def test_a_corrupted_file_is_detected_by_its_checksum():
    run = portal_backup(verify=False)
    assert run.status == S.SUCCEEDED
    corrupt(Path(run.location))
    run = portal_verify(run_id=run.pk)
    assert run.status == S.VERIFICATION_FAILED
    assert run.failure_code == "checksum" and "Checksum mismatch" in run.failure_reason
    assert AuditEvent.objects.for_object(run).filter(action=ALERT_ACTION).count() == 1


def test_row_counts_that_differ_after_the_test_restore_fail_the_verification():
    run = portal_backup(verify=False)
    tables = dict(run.details["row_counts"])
    tables["backups_backuptarget"] += 1
    BackupRun.objects.filter(pk=run.pk).update(details={**run.details, "row_counts": tables})
    run = portal_verify(run_id=run.pk)
    assert run.status == S.VERIFICATION_FAILED and run.failure_code == "restore"
    assert "backups_backuptarget" in run.failure_reason


def test_an_encrypted_backup_is_unreadable_without_the_key(settings):
    settings.BACKUPS_ENCRYPTION_KEY = "correct horse battery staple"
    run = portal_backup()
    assert run.status == S.VERIFIED and run.encrypted
    raw = Path(run.location).read_bytes()
    assert run.location.endswith(".enc") and raw.startswith(b"Salted__")
    settings.BACKUPS_ENCRYPTION_KEY = "wrong"
    again = portal_backup(verify=False)
    settings.BACKUPS_ENCRYPTION_KEY = "not the one it was written with"
    assert portal_verify(run_id=again.pk).status == S.VERIFICATION_FAILED


def test_a_failed_dump_is_a_failed_run_and_an_alert(monkeypatch):
    from backups.portal import engines

    def broken(self, workdir, stem):
        raise storage.BackupError("disk full")

    for engine in (engines.SQLiteEngine, engines.PostgresEngine):
        monkeypatch.setattr(engine, "dump", broken)
    run = portal_backup()
    assert run.status == S.FAILED and "disk full" in run.failure_reason
    assert AuditEvent.objects.for_object(run).filter(action=ALERT_ACTION).exists()


def test_the_command_and_the_restore_command(tmp_path, capsys):
    call_command("backup_portal")
    run = BackupRun.objects.get(target__is_portal=True)
    assert f"run {run.pk}: verified" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore_portal", run=run.pk)
    corrupt_copy = tmp_path / Path(run.location).name
    corrupt_copy.write_bytes(Path(run.location).read_bytes())
    storage.write_manifest(corrupt_copy, storage.read_manifest(Path(run.location)))
    corrupt(corrupt_copy)
    with pytest.raises(CommandError, match="Checksum mismatch"):
        call_command("restore_portal", file=str(corrupt_copy), into=str(tmp_path / "x"))


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_restore_into_a_file(tmp_path):
    run = portal_backup()
    target = tmp_path / "restored.sqlite3"
    call_command("restore_portal", run=run.pk, into=str(target))
    with sqlite3.connect(target) as conn:
        restored = {
            t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for t in run.details["row_counts"]
        }
    assert restored == run.details["row_counts"]
    with gzip.open(run.location) as handle:
        assert handle.read(16) == b"SQLite format 3\x00"


def test_retention_purges_the_portal_files():
    BackupPolicy.objects.filter(target__is_portal=True).update(retention_generations=2)
    runs = [portal_backup() for _ in range(3)]
    result = services.enforce_retention()
    assert result.expired == [runs[0].pk] and result.purged == [runs[0].pk]
    assert BackupRun.objects.get(pk=runs[0].pk).status == S.PURGED
    assert not Path(runs[0].location).exists()
    assert not storage.manifest_path(Path(runs[0].location)).exists()
    assert all(Path(r.location).exists() for r in runs[1:])


def test_the_schedule_runs_the_portal_backup():
    policy = BackupPolicy.objects.get(target__is_portal=True)
    assert policy.next_run_at is None  # due at the first tick after installation
    assert services.tick()["scheduled"] == 1
    run = BackupRun.objects.get(target=portal_target())
    assert run.origin == "schedule" and run.status == S.VERIFIED


@pytest.mark.postgres
def test_postgres_dump_verify_and_restore_into_another_database(tmp_path):
    import psycopg2

    run = portal_backup()
    assert run.status == S.VERIFIED, run.failure_reason
    assert Path(run.location).read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    params = {
        k: v
        for k, v in {
            "user": connection.settings_dict["USER"],
            "password": connection.settings_dict["PASSWORD"],
            "host": connection.settings_dict["HOST"],
            "port": connection.settings_dict["PORT"],
        }.items()
        if v
    }
    name = f"{connection.settings_dict['NAME'][:40]}_restore_cmd"
    admin = psycopg2.connect(dbname="postgres", **params)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        call_command("restore_portal", run=run.pk, into=name)
        restored = psycopg2.connect(dbname=name, **params)
        with restored.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM backups_backuptarget")
            assert cursor.fetchone()[0] == run.details["row_counts"]["backups_backuptarget"]
        restored.close()
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    with admin_cursor(params) as cursor:  # no scratch database is left behind
        cursor.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE %s",
            [f"{connection.settings_dict['NAME'][:30]}_verify_%"],
        )
        assert cursor.fetchone()[0] == 0


@pytest.mark.postgres
def test_postgres_corrupted_dump_is_detected():
    run = portal_backup(verify=False)
    corrupt(Path(run.location))
    assert portal_verify(run_id=run.pk).failure_code == "checksum"


class admin_cursor:  # noqa: N801 - a tiny context manager for the checks above
    def __init__(self, params):
        import psycopg2

        self.conn = psycopg2.connect(dbname="postgres", **params)

    def __enter__(self):
        return self.conn.cursor()

    def __exit__(self, *exc):
        self.conn.close()
