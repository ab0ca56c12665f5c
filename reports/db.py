"""Database expressions the reports need on both PostgreSQL and SQLite.

PostgreSQL has what we need built in (EXTRACT(EPOCH ...), percentile_cont, jsonb functions);
SQLite gets equivalents: durations are stored as microseconds there, and percentile_cont is
a small aggregate registered on every new SQLite connection. Either way the figures are
computed by the database in one statement, never by looping over tickets in Python.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.signals import connection_created
from django.db.models import (
    Aggregate,
    Case,
    DateTimeField,
    FloatField,
    Func,
    IntegerField,
    TextField,
    Value,
    When,
)
from django.db.models.lookups import LessThan

SQLITE_PERCENTILE = "REPORTS_PERCENTILE_CONT"


class SecondsBetween(Func):
    """end - start of two datetimes, in seconds (NULL when either is NULL)."""

    output_field = FloatField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))",
            arg_joiner=" - ",
        )

    def as_sqlite(self, compiler, connection, **extra):
        # Django keeps datetimes as ISO text on SQLite; julianday() reads it.
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
        )


class MonthIndex(Func):
    """Which of a report's months an instant falls in: 0 for the first, given the instants
    the months start at in the report's time zone (None before the first).

    Comparing with those instants costs far less per row than converting every timestamp
    to the zone and truncating it. PostgreSQL: width_bucket over the array of starts (a
    binary search); elsewhere a CASE over the month ends.
    """

    output_field = IntegerField()
    arity = 1

    def __init__(self, expression, starts, **extra):
        self.starts = list(starts)
        super().__init__(expression, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(WIDTH_BUCKET({sql}, %s::timestamptz[]) - 1)", [*params, self.starts]

    def as_sql(self, compiler, connection, **extra):
        instant = self.source_expressions[0]
        ends = self.starts[1:]
        case = Case(
            *[
                When(LessThan(instant, Value(end, DateTimeField())), then=Value(n))
                for n, end in enumerate(ends)
            ],
            default=Value(len(ends)),
            output_field=IntegerField(),
        )
        sql, params = compiler.compile(case.resolve_expression(compiler.query))
        first = Value(self.starts[0], DateTimeField()).resolve_expression(compiler.query)
        instant_sql, instant_params = compiler.compile(instant)
        first_sql, first_params = compiler.compile(first)
        return (
            f"(CASE WHEN {instant_sql} < {first_sql} THEN NULL ELSE {sql} END)",
            [*instant_params, *first_params, *params],
        )


class PercentileCont(Aggregate):
    """The continuous percentile (linear interpolation) of the non-NULL values.

    PostgreSQL: percentile_cont(f) WITHIN GROUP (ORDER BY x). SQLite: the same definition in
    an aggregate registered below. NULLs are ignored, so `Case(When(..., then=x))` selects
    which rows count.
    """

    name = "PercentileCont"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must lie between 0 and 1")
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            function="PERCENTILE_CONT",
            template=f"%(function)s({self.fraction!r}) WITHIN GROUP (ORDER BY %(expressions)s)",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            function=SQLITE_PERCENTILE,
            template=f"%(function)s({self.fraction!r}, %(expressions)s)",
            **extra,
        )

    def __repr__(self) -> str:
        return f"PercentileCont({self.source_expressions[0]!r}, {self.fraction})"


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont on a list: linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    if lower == upper:
        return float(ordered[lower])
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


class _SqlitePercentile:
    """The SQLite aggregate behind PercentileCont (step collects, finalize interpolates)."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, fraction, value) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return percentile_cont(self.values, self.fraction)


class LastWhy(Func):
    """The last answer of a JSON list of five whys (the deepest cause), as text."""

    output_field = TextField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(CASE WHEN jsonb_typeof(%(expressions)s) = 'array' "
            "THEN %(expressions)s ->> (jsonb_array_length(%(expressions)s) - 1) END)",
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(CASE WHEN json_type(%(expressions)s) = 'array' "
            "THEN json_extract(%(expressions)s, '$[#-1]') END)",
        )


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate(SQLITE_PERCENTILE, 2, _SqlitePercentile)


def connect() -> None:
    connection_created.connect(register_sqlite_functions, dispatch_uid="reports-sqlite-functions")
    # A connection opened before the app was ready (rare: management commands) gets them too.
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            register_sqlite_functions(None, conn)


@contextmanager
def report_session():
    """One read transaction per report; on PostgreSQL with room to sort in memory.

    The percentiles sort every value of a group; the default work_mem (4 MB) spills a
    year of incidents to disk. JIT compilation costs more than it saves on these queries.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            work_mem = getattr(settings, "REPORTS_WORK_MEM", "64MB")
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)",
                    [work_mem],
                )
        yield
