"""Backup verification and the monthly capacity and performance report."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import sqlite3
import tarfile
import zipfile
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import Avg, Count, Max

from .. import integration
from . import FAILED, SUCCEEDED, WARNING, JobContext, JobOutcome
from .database import database_size

SIDECARS = {".sha256", ".md5", ".json", ".tmp", ".part"}
PROJECT_APPS = ["itsm", "timers", "changes", "incidents", "releases", "backups", "maintenance"]


def backups_dir() -> Path:
    """Where the portal's backups are written: the backups app's setting when it has one."""
    try:
        from backups import conf
    except ImportError:
        configured = getattr(settings, "BACKUPS_DIR", "") or ""
        return Path(configured) if configured else Path(settings.VAR_DIR) / "backups"
    return conf.backups_dir()


def _newest_backup(folder: Path) -> Path | None:
    candidates = [
        p
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink() and p.suffix not in SIDECARS
    ]
    return max(candidates, key=lambda p: p.stat().st_mtime, default=None)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_content(path: Path) -> tuple[bool | None, str]:
    """(True, how) if the content verified, (False, why) if it is damaged, (None, why) if
    the format cannot be checked without more (e.g. an encrypted file without a checksum)."""
    sidecar = path.with_name(path.name + ".sha256")
    if sidecar.exists():
        expected = sidecar.read_text().split()[0].strip().lower() if sidecar.read_text() else ""
        actual = _sha256(path)
        if expected != actual:
            return False, f"SHA-256 mismatch: expected {expected[:16]}…, found {actual[:16]}…"
        return True, "SHA-256 matches the checksum file"
    name = path.name.lower()
    try:
        if name.endswith((".tar.gz", ".tgz", ".tar")):
            with tarfile.open(path) as archive:
                members = sum(1 for _ in archive)
            return True, f"tar archive readable, {members} members"
        if name.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
            return (False, f"damaged member {bad}") if bad else (True, "zip CRCs verified")
        if name.endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                shutil.copyfileobj(handle, _Discard())
            return True, "gzip stream and CRC verified"
        if name.endswith((".sqlite3", ".sqlite", ".db")):
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
            return (verdict == "ok"), f"SQLite integrity_check: {verdict}"
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, sqlite3.Error) as exc:
        return False, f"unreadable: {exc}"
    return None, "format not verifiable without a .sha256 checksum file"


class _Discard:
    def write(self, data: bytes) -> int:
        return len(data)


def verify_backup(ctx: JobContext) -> JobOutcome:
    """Is the portal's newest backup there, recent enough, and intact?"""
    max_age = ctx.param("max_age_hours")
    verdict = integration.latest_backup_check(now=ctx.now, max_age_hours=max_age)
    if verdict is not None:
        return JobOutcome(SUCCEEDED if verdict.ok else FAILED, verdict.message, verdict.details)
    folder = backups_dir()
    newest = _newest_backup(folder) if folder.is_dir() else None
    if newest is None:
        return JobOutcome(
            FAILED,
            f"No backup found under {folder}: there is no portal backup target in the "
            "backups app, so the newest file there is checked; there is none.",
            {"folder": str(folder)},
        )
    info = newest.stat()
    age_hours = (ctx.now.timestamp() - info.st_mtime) / 3600
    details = {
        "file": str(newest),
        "size": info.st_size,
        "age_hours": round(age_hours, 1),
        "max_age_hours": max_age,
    }
    lines = [f"Newest backup: {newest} ({info.st_size:,} bytes, {age_hours:.1f} h old)."]
    problems = []
    if info.st_size == 0:
        problems.append("The file is empty.")
    if age_hours > max_age:
        problems.append(f"It is older than {max_age} h: the recovery point objective is at risk.")
    content_ok, how = _check_content(newest) if info.st_size else (False, "empty")
    details["content_ok"] = content_ok
    lines.append(f"Content: {how}.")
    if content_ok is False:
        problems.append("The content did not verify.")
    lines += problems
    status = FAILED if problems else WARNING if content_ok is None else SUCCEEDED
    return JobOutcome(status, "\n".join(lines), details)


def _disk(path: Path) -> dict:
    usage = shutil.disk_usage(path)
    return {
        "path": str(path),
        "total": usage.total,
        "used": usage.used,
        "free": usage.free,
        "percent": round(usage.used * 100 / usage.total, 1) if usage.total else 0.0,
    }


def _row_counts() -> dict[str, int]:
    """Rows per table of the portal's own apps: estimates on PostgreSQL, exact on SQLite."""
    tables = sorted(model._meta.db_table for label in PROJECT_APPS for model in _models_of(label))
    existing = set(connection.introspection.table_names())
    tables = [t for t in tables if t in existing]
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT relname, greatest(reltuples, 0)::bigint FROM pg_class "
                "WHERE relkind = 'r' AND relname = ANY(%s)",
                [tables],
            )
            counts = dict(cursor.fetchall())
        else:
            for table in tables:
                cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                counts[table] = int(cursor.fetchone()[0])
    return counts


def _models_of(label: str):
    try:
        return apps.get_app_config(label).get_models()
    except LookupError:
        return []


def _previous_report(ctx: JobContext) -> dict | None:
    from ..models import JobKind, JobRun

    earlier = (
        JobRun.objects.filter(kind=JobKind.CAPACITY_REPORT, status__in=[SUCCEEDED, WARNING])
        .exclude(run_id=ctx.run_id)
        .order_by("-finished_at")
        .values_list("details", "finished_at")
        .first()
    )
    if not earlier:
        return None
    details, finished = earlier
    return {**details, "at": finished.isoformat()} if finished else None


def _activity(ctx: JobContext) -> dict:
    from itsm.models import AuditEvent
    from itsm.timers.models import Timer

    from ..models import MaintenanceRun

    month = ctx.now - timedelta(days=30)
    timers = Timer.objects.filter(fired_at__gte=month).aggregate(
        fired=Count("pk"), worst=Max("late_by"), mean=Avg("late_by")
    )
    runs = (
        MaintenanceRun.objects.filter(finished_at__gte=month)
        .values("plan__name")
        .annotate(runs=Count("pk"), mean=Avg("duration"), longest=Max("duration"))
        .order_by("plan__name")
    )
    seconds = lambda d: round(d.total_seconds(), 1) if d else 0.0  # noqa: E731
    return {
        "audit_events_30d": AuditEvent.objects.filter(at__gte=month).count(),
        "audit_events_prev_30d": AuditEvent.objects.filter(
            at__gte=month - timedelta(days=30), at__lt=month
        ).count(),
        "timers_fired_30d": timers["fired"],
        "timer_lateness_mean_s": seconds(timers["mean"]),
        "timer_lateness_worst_s": seconds(timers["worst"]),
        "maintenance_runs": [
            {
                "plan": r["plan__name"],
                "runs": r["runs"],
                "mean_s": seconds(r["mean"]),
                "longest_s": seconds(r["longest"]),
            }
            for r in runs
        ],
    }


def capacity_report(ctx: JobContext) -> JobOutcome:
    """Database size and growth, disk use against thresholds, row counts, and how promptly
    timers and maintenance ran over the last 30 days: the monthly capacity-planning input."""
    size = database_size()
    disk = _disk(Path(settings.VAR_DIR))
    counts = _row_counts()
    activity = _activity(ctx)
    previous = _previous_report(ctx)
    details = {"database_bytes": size, "disk": disk, "rows": counts, "activity": activity}
    lines = [f"Database: {size / 1e6:,.1f} MB ({connection.vendor})."]
    if previous and previous.get("database_bytes"):
        growth = size - previous["database_bytes"]
        details["database_growth_bytes"] = growth
        lines.append(
            f"Growth since the last report ({previous['at'][:10]}): {growth / 1e6:+,.1f} MB."
        )
        if growth > 0 and disk["free"]:
            months = disk["free"] / growth
            details["months_until_disk_full"] = round(months, 1)
            lines.append(f"At that rate the disk fills in about {months:,.1f} reports (months).")
    lines.append(
        f"Disk at {disk['path']}: {disk['percent']} % used, {disk['free'] / 1e9:,.1f} GB free."
    )
    top = sorted(counts.items(), key=lambda item: -item[1])[:10]
    lines.append("Largest tables (rows): " + ", ".join(f"{t} {n:,}" for t, n in top))
    lines.append(
        f"Activity (30 days): {activity['audit_events_30d']:,} audit events "
        f"(previous 30 days {activity['audit_events_prev_30d']:,}); "
        f"{activity['timers_fired_30d']:,} timers fired, mean lateness "
        f"{activity['timer_lateness_mean_s']} s, worst {activity['timer_lateness_worst_s']} s."
    )
    for plan in activity["maintenance_runs"]:
        lines.append(
            f"Plan {plan['plan']}: {plan['runs']} runs, mean {plan['mean_s']} s, "
            f"longest {plan['longest_s']} s."
        )

    problems, warnings = [], []
    if disk["percent"] >= ctx.param("disk_critical_percent"):
        problems.append(f"Disk use {disk['percent']} % is at or above the critical threshold.")
    elif disk["percent"] >= ctx.param("disk_warning_percent"):
        warnings.append(f"Disk use {disk['percent']} % is at or above the warning threshold.")
    megabytes = size / 1e6
    critical_mb, warning_mb = ctx.param("database_critical_mb"), ctx.param("database_warning_mb")
    if critical_mb and megabytes >= critical_mb:
        problems.append(f"The database ({megabytes:,.0f} MB) is above {critical_mb} MB.")
    elif warning_mb and megabytes >= warning_mb:
        warnings.append(f"The database ({megabytes:,.0f} MB) is above {warning_mb} MB.")
    details["problems"], details["warnings"] = problems, warnings
    lines += problems + warnings
    status = FAILED if problems else WARNING if warnings else SUCCEEDED
    return JobOutcome(status, "\n".join(lines), details)
