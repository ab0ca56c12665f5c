"""Keep reports.IncidentFact in line with incidents and their SLA clocks.

One INSERT ... SELECT ... ON CONFLICT DO UPDATE per batch, computed by the database from the
incident row and its two clocks. A refresh whose source is older than what the table holds
does nothing (the `source_updated_at` guard), so two refreshes racing each other after two
commits cannot leave stale figures behind.

Receivers note which incidents a transaction touched and refresh them once after commit
(`robust`: a reporting hiccup must never fail the incident's own write). The nightly task
and `manage.py reports_rebuild` reconcile everything.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from incidents.models import Incident, Postmortem
from itsm.timers.models import Clock

from .models import IncidentFact

BATCH = 50_000
RESPONSE, RESOLUTION = "response", "resolution"

# The clocks are joined on `object_id = CAST(incident.id AS text)`, so the clock index
# (content_type, object_id) serves a refresh of a few incidents. (The ORM's generic relation
# casts the other way, object_id to a number, which makes every refresh scan all clocks.)
_SQL = """
INSERT INTO {fact} ({columns})
SELECT i.id, i.detected_at, i.priority, i.status, i.is_major, i.team_id, i.service_id,
       COALESCE(s.mode, ''),
       {secs_r_target}, CASE WHEN r.stopped_at IS NOT NULL THEN {secs_r_elapsed} END,
       r.breached_at,
       {secs_s_target}, CASE WHEN s.stopped_at IS NOT NULL THEN {secs_s_elapsed} END,
       s.breached_at,
       i.recovered_at, i.postmortem_requested_at IS NOT NULL, COALESCE(p.status, ''),
       SUBSTR(LOWER(TRIM(COALESCE(NULLIF(TRIM(p.root_cause), ''), {last_why}, ''))), 1, 200),
       {greatest}(i.updated_at, COALESCE(r.updated_at, i.updated_at),
                  COALESCE(s.updated_at, i.updated_at), COALESCE(p.updated_at, i.updated_at))
FROM {incident} i
LEFT JOIN {clock} r ON r.content_type_id = %s AND r.object_id = CAST(i.id AS {text})
     AND r.name = %s
LEFT JOIN {clock} s ON s.content_type_id = %s AND s.object_id = CAST(i.id AS {text})
     AND s.name = %s
LEFT JOIN {postmortem} p ON p.incident_id = i.id
WHERE {where}
ON CONFLICT (incident_id) DO UPDATE SET {updates}
WHERE {fact}.source_updated_at <= excluded.source_updated_at
"""
COLUMNS = [
    "incident_id", "detected_at", "priority", "status", "is_major", "team_id", "service_id",
    "mode", "response_target_s", "response_s", "response_breached_at", "resolution_target_s",
    "resolution_s", "resolution_breached_at", "recovered_at", "postmortem_requested",
    "postmortem_status", "root_cause", "source_updated_at",
]  # fmt: skip


def _seconds(column: str) -> str:
    """A duration column as seconds: an interval on PostgreSQL, microseconds on SQLite."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})"
    return f"({column} / 1000000.0)"


def _last_why(column: str) -> str:
    """The last answer of a JSON list of five whys, as text (NULL if not a list)."""
    if connection.vendor == "postgresql":
        return (
            f"(CASE WHEN jsonb_typeof({column}) = 'array' "
            f"THEN {column} ->> (jsonb_array_length({column}) - 1) END)"
        )
    return f"(CASE WHEN json_type({column}) = 'array' THEN json_extract({column}, '$[#-1]') END)"


def _upsert(where: str, params: list) -> int:
    """Write the facts of the incidents matching `where` (SQL over alias i), in one statement."""
    postgres = connection.vendor == "postgresql"
    statement = _SQL.format(
        fact=IncidentFact._meta.db_table,
        incident=Incident._meta.db_table,
        clock=Clock._meta.db_table,
        postmortem=Postmortem._meta.db_table,
        last_why=_last_why("p.five_whys"),
        columns=", ".join(COLUMNS),
        updates=", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "incident_id"),
        secs_r_target=_seconds("r.target"),
        secs_r_elapsed=_seconds("r.elapsed_before_pause"),
        secs_s_target=_seconds("s.target"),
        secs_s_elapsed=_seconds("s.elapsed_before_pause"),
        greatest="GREATEST" if postgres else "MAX",
        text="varchar" if postgres else "text",
        where=where,
    )
    ct = ContentType.objects.get_for_model(Incident).pk
    with connection.cursor() as cursor:
        cursor.execute(statement, [ct, RESPONSE, ct, RESOLUTION, *params])
        return cursor.rowcount


def refresh(incident_ids: Iterable[int]) -> int:
    """Refresh the facts of these incidents (missing incidents are simply skipped)."""
    ids = sorted({int(pk) for pk in incident_ids})
    written = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        written += _upsert(f"i.id IN ({', '.join(['%s'] * len(chunk))})", chunk)
    return written


def rebuild(*, batch: int = BATCH, verbose=None) -> int:
    """Refresh every incident's fact in primary-key batches (idempotent)."""
    written = 0
    last = Incident.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for start in range(0, last + 1, batch):
        with transaction.atomic():
            written += _upsert("i.id >= %s AND i.id < %s", [start, start + batch])
        if verbose:
            verbose(start + batch, last)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {IncidentFact._meta.db_table}")  # fresh planner statistics
    return written


def fill_if_empty(sender=None, using="default", **kwargs) -> None:
    """After `migrate`: an install that had incidents before this app gets its facts."""
    if using != "default":
        return
    if IncidentFact._meta.db_table not in connection.introspection.table_names():
        return  # migrated backwards (or not yet): nothing to fill
    if IncidentFact.objects.exists() or not Incident.objects.exists():
        return
    rebuild()


# --- after-commit refresh --------------------------------------------------------------------
class _Pending:
    """The incidents one transaction touched; flushed once, after commit."""

    def __init__(self) -> None:
        self.ids: set[int] = set()
        self.flushed = False

    def flush(self) -> None:
        self.flushed = True
        ids, self.ids = self.ids, set()
        if ids:
            refresh(ids)


def _schedule(incident_id: int) -> None:
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        transaction.on_commit(lambda: refresh([incident_id]), robust=True)  # runs at once
        return
    pending: _Pending | None = getattr(conn, "_reports_pending", None)
    # A rolled-back (savepoint or) transaction drops its callbacks: start a new batch then.
    if (
        pending is None
        or pending.flushed
        or not any(entry[1] == pending.flush for entry in conn.run_on_commit)
    ):
        pending = _Pending()
        conn._reports_pending = pending
        # robust: a reporting hiccup is logged and never fails the incident's own write.
        transaction.on_commit(pending.flush, robust=True)
    pending.ids.add(incident_id)


def incident_saved(sender, instance: Incident, raw=False, **kwargs) -> None:
    if not raw:
        _schedule(instance.pk)


def clock_saved(sender, instance: Clock, raw=False, **kwargs) -> None:
    if raw or instance.content_type_id != ContentType.objects.get_for_model(Incident).pk:
        return
    try:
        _schedule(int(instance.object_id))
    except ValueError:
        return


def postmortem_saved(sender, instance: Postmortem, raw=False, **kwargs) -> None:
    if not raw:
        _schedule(instance.incident_id)
