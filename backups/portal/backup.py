"""The portal backs up its own database, as ordinary runs of the "portal" target.

backup:  scheduled → running → succeeded: dump (SQLite online backup / pg_dump), compress,
         optionally encrypt, checksum, manifest with the row counts of the dump's snapshot.
verify:  succeeded → verified | verification failed: checksum, decrypt, restore into a
         scratch database, integrity, row counts equal to the manifest's.
restore: the documented `manage.py restore_portal` (see backups/README.md).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.audit import record_event
from itsm.errors import Conflict

from .. import conf
from ..models import BackupRun, BackupTarget
from ..services import runs as run_services
from ..services.common import require_perm
from . import storage
from .engines import engine_for, engine_named
from .storage import BackupError

log = logging.getLogger(__name__)
S = BackupRun.Status
PORTAL_SLUG = "portal-database"


def portal_target() -> BackupTarget:
    target = BackupTarget.objects.filter(is_portal=True).first()
    if target is None:
        raise BackupError(_("The portal target is missing; run manage.py migrate."))
    return target


@contextmanager
def _workdir():
    # Inside the backups directory: the final rename stays on one file system.
    path = Path(tempfile.mkdtemp(prefix=".work-", dir=conf.backups_dir()))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _latest_migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder.Migration.objects.values_list("app", "name"):
        latest[app] = max(latest.get(app, ""), name)
    return latest


def portal_backup(
    *, run_id: int | None = None, actor=None, source: str = "system", verify: bool = True
) -> BackupRun:
    """Back up the portal's database now (run_id: fill a scheduled run). Never raises for a
    failed dump: the run is marked failed, which raises the alert."""
    require_perm(actor, "backups.report_backuprun")
    target = portal_target()
    if run_id is None:
        policy = target.policies.filter(is_active=True).order_by("pk").first()
        run = run_services.run_create(
            target_id=target.pk,
            actor=actor,
            source=source,
            origin=BackupRun.Origin.PORTAL,
            policy_id=policy.pk if policy else None,
            method="full",
        )
    else:
        run = BackupRun.objects.get(pk=run_id, target=target)
        if run.status != S.SCHEDULED:  # a redelivered task: the first delivery owns the run
            return run
    run = run_services.run_start(run_id=run.pk, actor=actor, source=source)
    engine = engine_for(connection)
    key = conf.encryption_key()
    try:
        with _workdir() as workdir:
            point = timezone.now()
            stem = f"{storage.PREFIX}{point:%Y%m%dT%H%M%SZ}-run{run.pk}"
            dump = engine.dump(workdir, stem)
            artefact = dump.path
            if key:
                encrypted = workdir / (artefact.name + ".enc")
                storage.encrypt(artefact, encrypted, key)
                artefact = encrypted
            final = conf.backups_dir() / artefact.name
            artefact.replace(final)
        checksum = storage.sha256(final)
        manifest = {
            "format": 1, "engine": engine.vendor, "run": run.pk,
            "database": str(connection.settings_dict["NAME"]),
            "recovery_point": point.isoformat(), "encrypted": bool(key),
            "checksum": checksum, "checksum_algorithm": "sha256",
            "size": final.stat().st_size, "row_counts": dump.row_counts,
            "tables": len(dump.row_counts), "rows": sum(dump.row_counts.values()),
            "migrations": _latest_migrations(),
        }  # fmt: skip
        storage.write_manifest(final, manifest)
    except Exception as exc:  # noqa: BLE001 - any failure is a failed run and an alert
        log.exception("portal backup %s failed", run.pk)
        return run_services.run_fail(
            run_id=run.pk, actor=actor, source=source, reason=f"{type(exc).__name__}: {exc}"
        )
    run = run_services.run_finish(
        run_id=run.pk,
        actor=actor,
        source=source,
        size_bytes=manifest["size"],
        checksum=checksum,
        location=str(final),
        recovery_point=point,
        encrypted=bool(key),
        details={
            "manifest": {k: v for k, v in manifest.items() if k != "row_counts"},
            "row_counts": dump.row_counts,
        },
    )
    if verify:
        run = portal_verify(run_id=run.pk, actor=actor, source=source)
    return run


def _problems(run: BackupRun, workdir: Path) -> tuple[str, str] | None:
    """(failure code, reason) when the backup of `run` cannot be trusted, else None."""
    Code = BackupRun.FailureCode
    artefact = Path(run.location)
    if not artefact.is_file():
        return Code.RESTORE, _("The backup file is missing: %(path)s") % {"path": artefact}
    actual = storage.sha256(artefact)
    if actual != run.checksum:
        return Code.CHECKSUM, _("Checksum mismatch: expected %(expected)s, found %(actual)s.") % {
            "expected": run.checksum, "actual": actual,
        }  # fmt: skip
    plain = artefact
    if run.encrypted:
        plain = workdir / artefact.name.removesuffix(".enc")
        storage.decrypt(artefact, plain, conf.encryption_key())
    manifest = run.details.get("manifest", {})
    engine = engine_named(manifest.get("engine", connection.vendor), connection)
    restored = engine.test_restore(plain, workdir, run.pk)
    expected = run.details.get("row_counts", {})
    wrong = sorted(t for t in set(expected) | set(restored) if expected.get(t) != restored.get(t))
    if wrong:
        detail = ", ".join(f"{t}: {expected.get(t)} → {restored.get(t)}" for t in wrong[:20])
        return Code.RESTORE, _("Row counts differ after the test restore: %(detail)s") % {
            "detail": detail
        }
    return None


@transaction.atomic
def portal_verify_request(*, run_id: int, actor, source: str) -> BackupRun:
    """Queue a test restore of a succeeded portal backup; a worker runs portal_verify."""
    from ..tasks import portal_verify as portal_verify_task

    require_perm(actor, "backups.report_backuprun")
    run = BackupRun.objects.select_for_update().select_related("target").get(pk=run_id)
    if not run.target.is_portal or run.status != BackupRun.Status.SUCCEEDED:
        raise Conflict(_("Only a succeeded backup of the portal itself can be test-restored."))
    record_event(run, action="test_restore_requested", actor=actor, source=source)
    portal_verify_task.delay_on_commit(run.pk)
    return run


def portal_verify(*, run_id: int, actor=None, source: str = "system") -> BackupRun:
    """Restore a portal backup into a scratch database and compare it with its manifest."""
    require_perm(actor, "backups.report_backuprun")
    run = BackupRun.objects.select_related("target").get(pk=run_id)
    if not run.target.is_portal:
        raise BackupError(_("Only the portal's own backups can be verified by the portal."))
    try:
        with _workdir() as workdir:
            problem = _problems(run, workdir)
    except BackupError as exc:
        problem = (BackupRun.FailureCode.RESTORE, str(exc))
    if problem:
        code, reason = problem
        return run_services.run_fail_verification(
            run_id=run.pk, actor=actor, source=source, reason=reason, code=code
        )
    counts = run.details.get("row_counts", {})
    note = _(
        "Checksum matches; restored into a scratch database: %(tables)s tables, %(rows)s rows, "
        "all counts equal."
    ) % {"tables": len(counts), "rows": sum(counts.values())}
    return run_services.run_verify(run_id=run.pk, actor=actor, source=source, note=note)


def portal_restore(*, artefact: Path, destination: str | None, expected_checksum: str = "") -> dict:
    """Restore a portal backup file into `destination` (SQLite: a file path; PostgreSQL: a
    database name; None: the portal's own database). Refuses a file whose checksum is wrong."""
    if not artefact.is_file():
        raise BackupError(_("No such file: %(path)s") % {"path": artefact})
    manifest = storage.read_manifest(artefact)
    expected = expected_checksum or manifest.get("checksum", "")
    actual = storage.sha256(artefact)
    if actual != expected:
        raise BackupError(
            _("Checksum mismatch: expected %(expected)s, found %(actual)s; not restored.")
            % {"expected": expected, "actual": actual}
        )
    engine = engine_named(manifest["engine"], connection)
    if destination is None:
        destination = str(connection.settings_dict["NAME"])
    with _workdir() as workdir:
        plain = artefact
        if manifest.get("encrypted"):
            plain = workdir / artefact.name.removesuffix(".enc")
            storage.decrypt(artefact, plain, conf.encryption_key())
        engine.restore_into(plain, destination, workdir)
    return manifest
