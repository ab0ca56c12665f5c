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
from django.db.models import Case, F, FilteredRelation, Q, Value, When
from django.db.models.functions import Coalesce, Greatest

from incidents.models import Incident
from itsm.timers.models import Clock

from .db import Seconds
from .models import IncidentFact

BATCH = 50_000
RESPONSE, RESOLUTION = "response", "resolution"

# fact column -> expression over an Incident queryset annotated with _resp / _resol clocks.
_COLUMNS = {
    "incident_id": F("pk"),
    "detected_at": F("detected_at"),
    "priority": F("priority"),
    "status": F("status"),
    "is_major": F("is_major"),
    "team_id": F("team_id"),
    "service_id": F("service_id"),
    "mode": Coalesce(F("_resol__mode"), Value("")),
    "response_target_s": Seconds(F("_resp__target")),
    "response_s": None,  # filled in _select: needs a Case
    "response_breached_at": F("_resp__breached_at"),
    "resolution_target_s": Seconds(F("_resol__target")),
    "resolution_s": None,
    "resolution_breached_at": F("_resol__breached_at"),
    "source_updated_at": Greatest(
        F("updated_at"),
        Coalesce(F("_resp__updated_at"), F("updated_at")),
        Coalesce(F("_resol__updated_at"), F("updated_at")),
    ),
}


def _counted(alias: str):
    """Counted seconds once the clock stopped (pauses excluded), NULL while it runs."""
    return Case(
        When(
            **{f"{alias}__stopped_at__isnull": False},
            then=Seconds(F(f"{alias}__elapsed_before_pause")),
        )
    )


def _select(incidents):
    expressions = dict(_COLUMNS)
    expressions["response_s"] = _counted("_resp")
    expressions["resolution_s"] = _counted("_resol")
    aliased = {f"fact_{name}": expr for name, expr in expressions.items()}
    return (
        incidents.order_by()
        .annotate(
            _resp=FilteredRelation("clocks", condition=Q(clocks__name=RESPONSE)),
            _resol=FilteredRelation("clocks", condition=Q(clocks__name=RESOLUTION)),
        )
        .values(**aliased)
    )


def _upsert(incidents) -> int:
    """Write the facts of the incidents in this queryset (which must have a WHERE clause)."""
    query = _select(incidents).query
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    columns = [alias.removeprefix("fact_") for _expr, _sql, alias in compiler.select]
    quoted = [connection.ops.quote_name(c) for c in columns]
    table = connection.ops.quote_name(IncidentFact._meta.db_table)
    updates = ", ".join(f"{c} = excluded.{c}" for c in quoted if c != '"incident_id"')
    statement = (
        f"INSERT INTO {table} ({', '.join(quoted)}) {sql} "
        f'ON CONFLICT ("incident_id") DO UPDATE SET {updates} '
        f'WHERE {table}."source_updated_at" <= excluded."source_updated_at"'
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def refresh(incident_ids: Iterable[int]) -> int:
    """Refresh the facts of these incidents (missing incidents are simply skipped)."""
    ids = sorted({int(pk) for pk in incident_ids})
    written = 0
    for start in range(0, len(ids), 1000):
        written += _upsert(Incident.objects.filter(pk__in=ids[start : start + 1000]))
    return written


def rebuild(*, batch: int = BATCH, verbose=None) -> int:
    """Refresh every incident's fact in primary-key batches and drop orphans."""
    written = 0
    last = Incident.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for start in range(0, last + 1, batch):
        with transaction.atomic():
            written += _upsert(Incident.objects.filter(pk__gte=start, pk__lt=start + batch))
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
