"""Report tables: columns with a kind, rows of figures, a drill-down link per figure.

The same Table renders as an HTML table, a CSV file and a chart's data, so a figure reads
the same wherever it is exported.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.http import StreamingHttpResponse
from django.utils import formats
from django.utils.text import slugify
from django.utils.translation import gettext as _

TEXT, COUNT, PERCENT, SECONDS, HOURS, DATE, DATETIME = (
    "text", "count", "percent", "seconds", "hours", "date", "datetime",
)  # fmt: skip


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = COUNT

    @property
    def numeric(self) -> bool:
        return self.kind in {COUNT, PERCENT, SECONDS, HOURS}


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    note: str = ""
    empty: str = ""

    def add(self, values: dict, links: dict | None = None) -> dict:
        row = {**values, "_links": links or {}}
        self.rows.append(row)
        return row

    def cells(self):
        """(row, [(column, value, link), ...]) for the template."""
        for row in self.rows:
            yield row, [(c, row.get(c.key), row["_links"].get(c.key)) for c in self.columns]

    def plain_rows(self) -> list[dict]:
        """Rows without links, for the API."""
        return [{k: v for k, v in row.items() if not k.startswith("_")} for row in self.rows]


def percent(part: int | None, whole: int | None) -> float | None:
    """part / whole in percent with one decimal; None when there is nothing to divide."""
    if not whole:
        return None
    return round(100.0 * (part or 0) / whole, 1)


def format_seconds(value: float | None) -> str:
    if value is None:
        return "–"
    minutes = int(round(value / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)dd %(h)dh") % {"d": days, "h": hours}
    return _("%(h)dh %(m)02dm") % {"h": hours, "m": minutes}


def display(column: Column, value) -> str:
    if value is None or value == "":
        return "–"
    if column.kind == PERCENT:
        return f"{formats.number_format(value, 1)} %"
    if column.kind == SECONDS:
        return format_seconds(value)
    if column.kind == HOURS:
        return formats.number_format(value, 1)
    if column.kind == COUNT:
        return formats.number_format(value, 0, force_grouping=True)
    if column.kind == DATE and isinstance(value, dt.date):
        return formats.date_format(value, "Y-m-d")
    if column.kind == DATETIME and isinstance(value, dt.datetime):
        from django.utils import timezone

        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    return str(value)


# --- CSV ---------------------------------------------------------------------------------------
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(column: Column, value):
    if value is None:
        return ""
    if column.kind == SECONDS:
        return f"{value / 3600:.2f}"  # hours: what a spreadsheet user sums and charts
    if column.kind in {PERCENT, HOURS}:
        return f"{value:.1f}"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    # A cell starting like a formula would run in a spreadsheet: neutralise it.
    return "'" + text if text.startswith(_FORMULA_START) and column.kind == TEXT else text


def _csv_header(column: Column) -> str:
    if column.kind == SECONDS:
        return f"{column.label} ({_('hours')})"
    if column.kind == PERCENT:
        return f"{column.label} (%)"
    return str(column.label)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(table: Table) -> Iterable[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM, so spreadsheet programs read Korean and Japanese as UTF-8
    yield writer.writerow([_csv_header(c) for c in table.columns])
    for row in table.rows:
        yield writer.writerow([_csv_value(c, row.get(c.key)) for c in table.columns])


def csv_response(table: Table, *, prefix: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(table), content_type="text/csv; charset=utf-8")
    filename = f"{prefix}-{slugify(table.name) or 'table'}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
