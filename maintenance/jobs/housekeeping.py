"""Housekeeping the portal does on itself: sessions, caches, temporary files, logs."""

from __future__ import annotations

import gzip
import os
import shutil
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.filebased import FileBasedCache

from . import FAILED, SUCCEEDED, WARNING, JobContext, JobOutcome


def purge_sessions(ctx: JobContext) -> JobOutcome:
    """Delete sessions whose expiry date has passed (Django never does this by itself)."""
    engine = import_module(settings.SESSION_ENGINE)
    if settings.SESSION_ENGINE in {
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    }:
        from django.contrib.sessions.models import Session

        deleted, _ = Session.objects.filter(expire_date__lt=ctx.now).delete()
        remaining = Session.objects.count()
        return JobOutcome(
            SUCCEEDED,
            f"Deleted {deleted} expired sessions; {remaining} active sessions remain.",
            {"deleted": deleted, "remaining": remaining},
        )
    engine.SessionStore.clear_expired()
    return JobOutcome(
        SUCCEEDED,
        f"Asked the {settings.SESSION_ENGINE} session store to clear expired sessions.",
        {"engine": settings.SESSION_ENGINE},
    )


def _cull_file_cache(cache: FileBasedCache) -> int:
    removed = 0
    for path in cache._list_cache_files():
        try:
            with open(path, "rb") as handle:
                if cache._is_expired(handle):  # deletes the file when expired
                    removed += 1
        except FileNotFoundError:
            continue
    return removed


def _cull_db_cache(cache: DatabaseCache, ctx: JobContext) -> int:
    from django.db import connections, router

    db = router.db_for_write(cache.cache_model_class)
    connection = connections[db]
    table = connection.ops.quote_name(cache._table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE expires < %s",  # noqa: S608 - table name is quoted
            [connection.ops.adapt_datetimefield_value(ctx.now)],
        )
        return cursor.rowcount


def clean_cache(ctx: JobContext) -> JobOutcome:
    """Remove expired entries from caches that keep them (file and database caches).

    Redis and local-memory caches expire entries by themselves; `clear_all` empties every
    cache, for after an upgrade that changed what is cached.
    """
    lines, details = [], {}
    for alias in settings.CACHES:
        cache = caches[alias]
        backend = type(cache).__name__
        if ctx.param("clear_all"):
            cache.clear()
            lines.append(f"{alias} ({backend}): cleared every entry.")
            details[alias] = {"backend": backend, "cleared": True}
        elif isinstance(cache, FileBasedCache):
            removed = _cull_file_cache(cache)
            lines.append(f"{alias} ({backend}): removed {removed} expired entries.")
            details[alias] = {"backend": backend, "removed": removed}
        elif isinstance(cache, DatabaseCache):
            removed = _cull_db_cache(cache, ctx)
            lines.append(f"{alias} ({backend}): removed {removed} expired entries.")
            details[alias] = {"backend": backend, "removed": removed}
        else:
            lines.append(f"{alias} ({backend}): expires its entries itself; nothing to do.")
            details[alias] = {"backend": backend, "removed": 0}
    return JobOutcome(SUCCEEDED, "\n".join(lines), details)


def temp_dir() -> Path:
    return Path(settings.VAR_DIR) / "tmp"


def clean_temp_files(ctx: JobContext) -> JobOutcome:
    """Delete files under var/tmp older than `max_age_hours`, then empty folders.

    Symbolic links are removed as links and never followed, so nothing outside var/tmp is
    touched whatever a link points to.
    """
    root = temp_dir()
    root.mkdir(parents=True, exist_ok=True)
    cutoff = ctx.now.timestamp() - ctx.param("max_age_hours") * 3600
    files = freed = kept = 0
    problems: list[str] = []
    emptied: set[str] = set()  # folders this pass removed entries from (their mtime is new)
    for folder, dirnames, filenames in os.walk(root, topdown=False, followlinks=False):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(folder, d))]:
            path = os.path.join(folder, name)
            try:
                info = os.lstat(path)
                if info.st_mtime >= cutoff:
                    kept += 1
                    continue
                os.unlink(path)
                emptied.add(folder)
                files += 1
                freed += info.st_size
            except OSError as exc:
                problems.append(f"{path}: {exc.strerror}")
        if folder != str(root):
            try:
                old_enough = folder in emptied or os.lstat(folder).st_mtime < cutoff
                if old_enough and not os.listdir(folder):
                    os.rmdir(folder)
                    emptied.add(os.path.dirname(folder))
            except OSError as exc:
                problems.append(f"{folder}: {exc.strerror}")
    output = (
        f"Deleted {files} files ({freed} bytes) older than {ctx.param('max_age_hours')} h "
        f"under {root}; kept {kept} newer files."
    )
    if problems:
        output += "\nCould not remove:\n" + "\n".join(problems[:50])
    details = {"deleted": files, "bytes": freed, "kept": kept, "problems": len(problems)}
    return JobOutcome(WARNING if problems else SUCCEEDED, output, details)


def log_dir() -> Path:
    return Path(settings.VAR_DIR) / "log"


def _rotate_one(path: Path, keep: int) -> None:
    oldest = path.with_name(f"{path.name}.{keep}.gz")
    oldest.unlink(missing_ok=True)
    for number in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{number}.gz")
        if older.exists():
            older.rename(path.with_name(f"{path.name}.{number + 1}.gz"))
    with open(path, "rb") as source, gzip.open(path.with_name(f"{path.name}.1.gz"), "wb") as out:
        shutil.copyfileobj(source, out)
    # Copy then truncate: a process that keeps the log open goes on writing to it.
    with open(path, "r+b") as handle:
        handle.truncate(0)


def rotate_logs(ctx: JobContext) -> JobOutcome:
    """Compress each var/log/*.log into name.log.1.gz, keeping `keep` generations."""
    folder = log_dir()
    if not folder.is_dir():
        return JobOutcome(SUCCEEDED, f"No log folder at {folder}; nothing to rotate.", {})
    keep, minimum = ctx.param("keep"), ctx.param("min_size_kb") * 1024
    rotated, problems = [], []
    for path in sorted(folder.glob("*.log")):
        if path.is_symlink() or not path.is_file():
            continue
        size = path.stat().st_size
        if size == 0 or size < minimum:
            continue
        try:
            _rotate_one(path, keep)
            rotated.append(f"{path.name} ({size} bytes)")
        except OSError as exc:
            problems.append(f"{path.name}: {exc}")
    lines = [f"Rotated {len(rotated)} logs, keeping {keep} generations."] + rotated
    if problems:
        lines += ["Failed:"] + problems
    status = FAILED if problems and not rotated else WARNING if problems else SUCCEEDED
    return JobOutcome(status, "\n".join(lines), {"rotated": len(rotated), "failed": len(problems)})
