"""SLA report: per month, priority, team and service, from the incident facts.

A clock's outcome is known once it stopped (met, unless it breached first) or once it
breached (even while still running); running clocks that have not breached are pending and
left out of the met %. Times are the clocks' counted time — business or calendar time as the
policy counted it, pauses (waiting on the reporter) excluded — of the clocks that stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from incidents.models import Priority
from itsm.models import Service, Team

from .. import drilldown, grouping
from ..params import ReportParams
from ..tables import DATETIME, PERCENT, SECONDS, TEXT, Column, Table, percent
from .common import incident_facts, month_index, month_label

RESPONSE_MET = Q(response_s__isnull=False, response_breached_at__isnull=True)
RESOLUTION_MET = Q(resolution_s__isnull=False, resolution_breached_at__isnull=True)
ANY_BREACH = Q(response_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False)
LATEST_BREACHES = 20


# The flags each row carries into the grouped query (reports.grouping counts them).
FLAGS = {"response_met": RESPONSE_MET, "resolution_met": RESOLUTION_MET, "any_breach": ANY_BREACH}
COUNTS = {
    "tickets": grouping.count(),
    "response_met": grouping.count(where="response_met"),
    "response_breached": grouping.count(column="response_breached_at"),
    "resolution_met": grouping.count(where="resolution_met"),
    "resolution_breached": grouping.count(column="resolution_breached_at"),
    "breached_tickets": grouping.count(where="any_breach"),
}
MEANS = {
    "mtta_s": grouping.average("response_s"),
    "mttr_s": grouping.average("resolution_s"),
}
PERCENTILES = {
    "p90_tta_s": grouping.percentile("response_s", 0.9),
    "p90_ttr_s": grouping.percentile("resolution_s", 0.9),
}
ALL_FIGURES = {**COUNTS, **MEANS, **PERCENTILES}
# The fact column each breakdown groups on.
KEYS = {"priority": "priority", "team": "team_id", "service": "service_id"}

FIGURES = [
    "tickets", "response_met", "response_breached", "resolution_met", "resolution_breached",
    "breached_tickets", "mtta_s", "p90_tta_s", "mttr_s", "p90_ttr_s",
]  # fmt: skip


def sla_rows(params: ReportParams, base=None):
    """The facts of the report as the rows the grouped figures read: month, keys, flags."""
    base = incident_facts(params) if base is None else base
    return base.annotate(
        month=month_index("detected_at", params),
        **{name: ExpressionWrapper(q, output_field=BooleanField()) for name, q in FLAGS.items()},
    ).values(
        "month", *KEYS.values(), *FLAGS, "response_s", "resolution_s",
        "response_breached_at", "resolution_breached_at",
    )  # fmt: skip


def with_rates(values: dict) -> dict:
    """Add the met percentages (of the clocks whose outcome is known)."""
    row = {key: values.get(key) for key in FIGURES}
    for key in ("tickets", "response_met", "response_breached", "resolution_met"):
        row[key] = row[key] or 0
    row["resolution_breached"] = row["resolution_breached"] or 0
    row["breached_tickets"] = row["breached_tickets"] or 0
    row["response_met_pct"] = percent(
        row["response_met"], row["response_met"] + row["response_breached"]
    )
    row["resolution_met_pct"] = percent(
        row["resolution_met"], row["resolution_met"] + row["resolution_breached"]
    )
    return row


def columns(first: Column) -> list[Column]:
    return [
        first,
        Column("tickets", _("Incidents")),
        Column("response_met_pct", _("Response met"), PERCENT),
        Column("response_breached", _("Response breaches")),
        Column("resolution_met_pct", _("Resolution met"), PERCENT),
        Column("resolution_breached", _("Resolution breaches")),
        Column("breached_tickets", _("Incidents with a breach")),
        Column("mtta_s", _("Mean time to acknowledge"), SECONDS),
        Column("p90_tta_s", _("p90 time to acknowledge"), SECONDS),
        Column("mttr_s", _("Mean time to resolve"), SECONDS),
        Column("p90_ttr_s", _("p90 time to resolve"), SECONDS),
    ]


def _links(params: ReportParams, **narrow) -> dict:
    """Drill-downs of one row: every figure to its incidents, breaches to breached ones."""
    every = drilldown.incidents(params, **narrow)
    breached = drilldown.incidents(params, breached=True, **narrow)
    met = drilldown.incidents(params, breached=False, **narrow)
    links = dict.fromkeys(("tickets", "mtta_s", "p90_tta_s", "mttr_s", "p90_ttr_s"), every)
    links.update(
        {
            "response_breached": breached,
            "resolution_breached": breached,
            "breached_tickets": breached,
            "response_met_pct": met,
            "resolution_met_pct": met,
        }
    )
    return links


@dataclass
class SlaReport:
    params: ReportParams
    totals: dict
    tables: dict[str, Table] = field(default_factory=dict)

    def chart(self) -> dict:
        months = self.tables["by_month"].rows
        return {
            "type": "bar",
            "labels": [row["label"] for row in months],
            "datasets": [
                {
                    "label": str(_("Response met %")),
                    "data": [row["response_met_pct"] for row in months],
                    "type": "line",
                    "yAxisID": "percent",
                },
                {
                    "label": str(_("Resolution met %")),
                    "data": [row["resolution_met_pct"] for row in months],
                    "type": "line",
                    "yAxisID": "percent",
                },
                {
                    "label": str(_("Incidents with a breach")),
                    "data": [row["breached_tickets"] for row in months],
                    "yAxisID": "count",
                },
            ],
            "axes": {"percent": str(_("Met %")), "count": str(_("Incidents"))},
        }


BREAKDOWNS = {
    "priority": (_("By priority"), _("Priority")),
    "team": (_("By team"), _("Team")),
    "service": (_("By service"), _("Service")),
}


def _breakdown(params: ReportParams, found: list[dict], by: str) -> Table:
    title, label = BREAKDOWNS[by]
    table = Table(f"by_{by}", str(title), columns(Column("label", label, TEXT)))
    key = KEYS[by]
    if by == "priority":
        labels = dict(Priority.choices)
        for row in sorted(found, key=lambda row: row[key]):
            priority = row[key]
            table.add(
                {"key": priority, "label": str(labels.get(priority, priority)), **with_rates(row)},
                _links(params, priority=priority),
            )
        return table
    # Grouped on the id (an integer), then the few teams or services named in one query.
    model = Team if by == "team" else Service
    chosen = model.objects.filter(pk__in=[row[key] for row in found])
    names = {pk: (slug, name) for pk, slug, name in chosen.values_list("pk", "slug", "name")}
    for row in sorted(found, key=lambda row: names.get(row[key], ("", ""))[1]):
        slug, name = names.get(row[key], ("", "?"))
        table.add({"key": slug, "label": name, **with_rates(row)}, _links(params, **{by: slug}))
    if by == "service":
        table.note = str(
            _(
                "Grouped by each incident's own service. The incident list behind a row also "
                "shows incidents in which that service was only affected."
            )
        )
    return table


# The p90s sort every value of each group they are computed for: besides the period and
# each breakdown row, months get theirs only in short periods (a year's twelve would sort
# the year's incidents once more per clock, the dearest part of the report at scale).
P90_MONTHS = 3


def sla_figures(params: ReportParams, by: tuple[str, ...] = ()) -> dict[str, list[dict]]:
    """Totals, months and the breakdowns `by` (one statement): counts, means and p90s.

    The first breakdown shares its grouping with the totals; each further one is a grouping
    of its own, a branch of the statement that PostgreSQL's parallel append can sort beside
    the others (grouping sets that sort differently run one after the other in one process:
    the p90s of a year by priority, team and service took over a second at a million
    incidents)."""
    months = {"by_month": ("month",)}
    sets = [{f"by_{name}": (KEYS[name],)} for name in by] or [{}]
    if len(params.months) <= P90_MONTHS:
        sets[0] = {**sets[0], **months}
    sets[0] = {"totals": (), **sets[0]}
    groupings = [grouping.Grouping(chosen, ALL_FIGURES) for chosen in sets]
    if len(params.months) > P90_MONTHS:
        groupings.append(grouping.Grouping(months, {**COUNTS, **MEANS}))
    return grouping.grouped(sla_rows(params), *groupings)


def sla_report(params: ReportParams, *, by: tuple[str, ...] = ("priority",)) -> SlaReport:
    """Totals, months and the chosen breakdowns (one grouped query), the latest breaches."""
    found = sla_figures(params, by)
    totals = with_rates(found["totals"][0] if found["totals"] else {})
    totals["_links"] = _links(params)
    report = SlaReport(params=params, totals=totals)

    by_month = Table("by_month", str(_("By month")), columns(Column("label", _("Month"), TEXT)))
    months = {params.months[row["month"]]: row for row in found["by_month"]}
    for month in params.months:
        by_month.add(
            {"month": month.isoformat(), "label": month_label(month)}
            | with_rates(months.get(month, {})),
            _links(params, month=month),
        )
    if len(params.months) > P90_MONTHS:
        by_month.columns = [c for c in by_month.columns if c.key not in PERCENTILES]
        by_month.note = str(
            _(
                "Monthly p90 times are shown for periods of up to %(count)s months; for a "
                "longer period, see the totals and the breakdown."
            )
            % {"count": P90_MONTHS}
        )
    report.tables["by_month"] = by_month
    for name in by:
        report.tables[f"by_{name}"] = _breakdown(params, found[f"by_{name}"], name)
    report.tables["breaches"] = _latest_breaches(params, incident_facts(params))
    return report


def _outcome(seconds, breached_at) -> str:
    if breached_at is not None:
        return str(_("Breached"))
    return str(_("Met")) if seconds is not None else str(_("Running"))


def _latest_breaches(params: ReportParams, base) -> Table:
    """The latest breached incidents, each linked to the story of its clocks."""
    table = Table(
        "breaches",
        str(_("Latest breaches")),
        [
            Column("reference", _("Incident"), TEXT),
            Column("title", _("Title"), TEXT),
            Column("priority", _("Priority"), TEXT),
            Column("team", _("Team"), TEXT),
            Column("detected_at", _("Detected"), DATETIME),
            Column("response", _("Response"), TEXT),
            Column("resolution", _("Resolution"), TEXT),
        ],
        note=str(
            _("Open an incident's reference to see when each clock ran, paused and breached.")
        ),
        empty=str(_("No breach in this period.")),
    )
    rows = (
        base.filter(ANY_BREACH)
        .order_by("-detected_at", "-incident_id")
        .values(
            "incident_id", "incident__title", "priority", "team__name", "detected_at",
            "response_s", "response_breached_at", "resolution_s", "resolution_breached_at",
        )[:LATEST_BREACHES]
    )  # fmt: skip
    for row in rows:
        pk = row["incident_id"]
        table.add(
            {
                "incident_id": pk,
                "reference": f"INC-{pk:05d}",
                "title": row["incident__title"],
                "priority": row["priority"],
                "team": row["team__name"],
                "detected_at": row["detected_at"],
                "response": _outcome(row["response_s"], row["response_breached_at"]),
                "resolution": _outcome(row["resolution_s"], row["resolution_breached_at"]),
            },
            {
                "reference": reverse("reports:sla-incident", args=[pk]),
                "title": reverse("incidents:detail", args=[pk]),
            },
        )
    return table
