"""Database optimisation the portal does on its own database.

PostgreSQL: VACUUM (ANALYZE) when the job runs in autocommit (the worker), ANALYZE alone when
it is called inside a transaction, where VACUUM is not allowed. SQLite: ANALYZE, then
PRAGMA optimize, which the SQLite documentation recommends running periodically.
"""

from __future__ import annotations

from django.db import connection

from . import SUCCEEDED, JobContext, JobOutcome


def database_size() -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0])
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            return int(pages * cursor.fetchone()[0])
    return 0


def _sqlite_free_pages(cursor) -> int:
    cursor.execute("PRAGMA freelist_count")
    return int(cursor.fetchone()[0])


def optimise_database(ctx: JobContext) -> JobOutcome:
    before = database_size()
    lines: list[str] = []
    details: dict = {"vendor": connection.vendor}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if ctx.param("vacuum") and not connection.in_atomic_block:
                cursor.execute("VACUUM (ANALYZE)")
                lines.append("VACUUM (ANALYZE) ran on the whole database.")
                details["vacuum"] = True
            else:
                cursor.execute("ANALYZE")
                why = "turned off" if not ctx.param("vacuum") else "inside a transaction"
                lines.append(f"ANALYZE ran on the whole database (VACUUM skipped: {why}).")
                details["vacuum"] = False
            details["analyze"] = True
        elif connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA optimize")
            lines.append("ANALYZE and PRAGMA optimize ran.")
            free = _sqlite_free_pages(cursor)
            if free:
                lines.append(f"{free} free pages could be reclaimed by VACUUM in a quiet hour.")
            details.update(analyze=True, optimize=True, free_pages=free)
        else:
            lines.append(f"No optimisation is known for {connection.vendor}; nothing done.")
    after = database_size()
    details.update(size_before=before, size_after=after)
    lines.append(f"Database size: {before:,} bytes before, {after:,} bytes after.")
    return JobOutcome(SUCCEEDED, "\n".join(lines), details)


def _portal_tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True))


def rebuild_indexes(ctx: JobContext) -> JobOutcome:
    """Rebuild the indexes of the portal's tables (bloated by many updates and deletes).

    PostgreSQL rebuilds CONCURRENTLY in the worker, so pages keep working meanwhile.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("REINDEX")
            return JobOutcome(SUCCEEDED, "REINDEX ran on every index.", {"tables": "all"})
        if connection.vendor != "postgresql":
            return JobOutcome(SUCCEEDED, f"No index rebuild for {connection.vendor}.", {})
        tables = _portal_tables()
        concurrently = "" if connection.in_atomic_block else " CONCURRENTLY"
        cursor.execute(
            "SELECT coalesce(sum(pg_indexes_size(c.oid)), 0) FROM pg_class c "
            "WHERE c.relname = ANY(%s) AND c.relkind = 'r'",
            [tables],
        )
        before = int(cursor.fetchone()[0])
        for table in tables:
            cursor.execute(f"REINDEX TABLE{concurrently} {connection.ops.quote_name(table)}")
        cursor.execute(
            "SELECT coalesce(sum(pg_indexes_size(c.oid)), 0) FROM pg_class c "
            "WHERE c.relname = ANY(%s) AND c.relkind = 'r'",
            [tables],
        )
        after = int(cursor.fetchone()[0])
    return JobOutcome(
        SUCCEEDED,
        f"Rebuilt the indexes of {len(tables)} tables{concurrently.lower()}: "
        f"{before:,} bytes before, {after:,} bytes after.",
        {"tables": len(tables), "size_before": before, "size_after": after},
    )
