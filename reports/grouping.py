"""Several breakdowns of one row set in one query: GROUP BY GROUPING SETS.

A report's totals, its months and its per-priority (team, service) rows are the same
aggregates over the same filtered rows, grouped differently. PostgreSQL computes them all in
one scan with GROUPING SETS; SQLite has no grouping sets, so there the same statement is a
UNION ALL of one GROUP BY per set. Either way the caller runs one query.

The rows come from a `.values()` queryset the ORM compiles (filters, month index, flags);
only the grouping and the aggregates over its named columns are written here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from .db import SQLITE_PERCENTILE


@dataclass(frozen=True)
class Agg:
    """An aggregate over a column of the rows: count (of rows where `where`), avg or a
    continuous percentile (linear interpolation, NULLs ignored)."""

    kind: str
    column: str = ""
    where: str = ""
    fraction: float = 0.0

    def null_type(self, column_types: dict[str, str]) -> str:
        """The PostgreSQL type of this figure, for a typed NULL in branches without it."""
        if self.kind == "count":
            return "bigint"
        if self.kind == "avg" and column_types.get(self.column) in ("integer", "bigint"):
            return "numeric"
        return "double precision"

    def sql(self, quote, vendor: str) -> str:
        if self.kind == "count":
            counted = quote(self.column) if self.column else "1"
            where = f" FILTER (WHERE {quote(self.where)})" if self.where else ""
            return f"COUNT({counted}){where}"
        if self.kind == "avg":
            return f"AVG({quote(self.column)})"
        if vendor == "postgresql":
            order = quote(self.column)
            return f"PERCENTILE_CONT({self.fraction!r}) WITHIN GROUP (ORDER BY {order})"
        return f"{SQLITE_PERCENTILE}({self.fraction!r}, {quote(self.column)})"


def count(*, where: str = "", column: str = "") -> Agg:
    """COUNT(1) (or of a column's non-NULL values), of the rows whose flag `where` is true."""
    return Agg("count", column=column, where=where)


def average(column: str) -> Agg:
    return Agg("avg", column=column)


def percentile(column: str, fraction: float) -> Agg:
    return Agg("percentile", column=column, fraction=fraction)


@dataclass(frozen=True)
class Grouping:
    """Named sets of key columns to group by (`()`: all rows) and what to compute for them."""

    sets: dict[str, tuple[str, ...]]
    aggregates: dict[str, Agg]

    @property
    def keys(self) -> list[str]:
        return list(dict.fromkeys(key for chosen in self.sets.values() for key in chosen))


def _column_types(rows: QuerySet) -> dict[str, str]:
    """The database type of each column of a `.values()` queryset."""
    query = rows.query
    columns = zip(query.values_select, query.select, strict=True)
    fields = {name: col.output_field for name, col in columns}
    fields.update({name: expr.output_field for name, expr in query.annotation_select.items()})
    return {name: field.cast_db_type(connection) for name, field in fields.items()}


def grouped(rows: QuerySet, *groupings: Grouping) -> dict[str, list[dict]]:
    """The aggregates of `rows` per set of each grouping, in one statement.

    `rows` is a `.values(...)` queryset naming every column the sets and aggregates use.
    Each grouping reads the rows once (a UNION ALL joins them): a grouping that needs costly
    aggregates (percentiles sort every group) can leave out sets that do not need them.
    Returns the rows of each set by its name, each a dict of the set's keys and figures.
    """
    quote = connection.ops.quote_name
    vendor = connection.vendor
    inner, params = rows.order_by().query.sql_with_params()  # no model ordering to sort
    source = f"FROM ({inner}) AS report_rows"
    keys = list(dict.fromkeys(key for g in groupings for key in g.keys))
    names = list(dict.fromkeys(name for g in groupings for name in g.aggregates))
    sets = {name: chosen for g in groupings for name, chosen in g.sets.items()}
    index = {name: n for n, name in enumerate(sets)}
    selects, sql_params = [], []
    if vendor == "postgresql":
        # A UNION ALL types each column from its first branches, two at a time: a column
        # NULL in the first two would be text, and clash with a later branch's number.
        types = _column_types(rows)
        aggregates = {name: agg for g in groupings for name, agg in g.aggregates.items()}
        key_null = {k: f"NULL::{types[k]}" for k in keys}
        figure_null = {n: f"NULL::{aggregates[n].null_type(types)}" for n in names}
    else:
        key_null, figure_null = dict.fromkeys(keys, "NULL"), dict.fromkeys(names, "NULL")

    def columns(grouping: Grouping, grouped_by) -> list[str]:
        chosen = [quote(k) if k in grouped_by else f"{key_null[k]} AS {quote(k)}" for k in keys]
        figures = [
            f"{grouping.aggregates[n].sql(quote, vendor)} AS {quote(n)}"
            if n in grouping.aggregates
            else f"{figure_null[n]} AS {quote(n)}"
            for n in names
        ]
        return [*chosen, *figures]

    for grouping in groupings:
        if vendor == "postgresql":
            # GROUPING(a, b, ...) has a bit set for each key a row is *not* grouped by.
            own = grouping.keys
            which = " ".join(
                f"WHEN {sum(1 << (len(own) - 1 - i) for i, k in enumerate(own) if k not in chosen)}"
                f" THEN {index[name]}"
                for name, chosen in grouping.sets.items()
            )
            set_id = (
                f"CASE GROUPING({', '.join(map(quote, own))}) {which} END"
                if own
                else str(index[next(iter(grouping.sets))])  # only the set of all rows
            )
            groups = ", ".join(f"({', '.join(map(quote, c))})" for c in grouping.sets.values())
            select = ", ".join([set_id, *columns(grouping, own)])
            selects.append(f"SELECT {select} {source} GROUP BY GROUPING SETS ({groups})")
            sql_params += params
            continue
        # SQLite has no grouping sets: one GROUP BY per set.
        for name, chosen in grouping.sets.items():
            group_by = f" GROUP BY {', '.join(map(quote, chosen))}" if chosen else ""
            select = ", ".join([str(index[name]), *columns(grouping, chosen)])
            selects.append(f"SELECT {select} {source}{group_by}")
            sql_params += params
    result: dict[str, list[dict]] = {name: [] for name in sets}
    by_index = list(sets)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), sql_params)
        for set_id, *values in cursor.fetchall():
            name = by_index[set_id]
            row = dict(zip([*keys, *names], values, strict=True))
            result[name].append({k: v for k, v in row.items() if k not in keys or k in sets[name]})
    return result
