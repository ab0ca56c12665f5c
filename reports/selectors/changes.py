"""Change report: volume by class and outcome, success rate, emergency share, rollbacks,
changes that caused incidents, approval lead times and CAB throughput.

A change belongs to the month of its planned start (what the change list filters on). Its
outcome comes from the facts it recorded, which survive review and closure: verified
(completed_at), verification failed (failure_reason), rolled back (rollback_notes).
Priority does not apply to changes; the team is the owning team, the service any affected
service.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Avg, BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from changes.models import CabMeeting, Change, ChangeClass
from changes.models import Status as CS
from incidents.models import Incident

from .. import drilldown, grouping
from ..db import SecondsBetween
from ..params import ReportParams
from ..tables import PERCENT, SECONDS, TEXT, Column, Table, percent
from .common import count, month_index, month_label, per_month

SUCCESS = Q(completed_at__isnull=False)
FAILED = ~Q(failure_reason="") | Q(status__in=[CS.FAILED, CS.ROLLED_BACK])
ROLLED_BACK = ~Q(rollback_notes="") | Q(status=CS.ROLLED_BACK)
CAUSED_ROWS = 20

# Change-list states that show each outcome (the list cannot filter on the facts above).
OUTCOME_STATES = {
    "successful": [CS.COMPLETED, CS.REVIEW, CS.CLOSED],
    "failed": [CS.FAILED, CS.ROLLED_BACK],
    "rolled_back": [CS.ROLLED_BACK],
    "rejected": [CS.REJECTED],
    "cancelled": [CS.CANCELLED],
}


def scoped(qs, params: ReportParams):
    """Changes of the owning team and touching the service, when the filters name them."""
    if params.team is not None:
        qs = qs.filter(owner_team=params.team)
    if params.service is not None:
        through = Change.services.through
        qs = qs.filter(
            Exists(through.objects.filter(change_id=OuterRef("pk"), service=params.service))
        )
    return qs


def planned_changes(params: ReportParams):
    qs = Change.objects.filter(planned_start__gte=params.start, planned_start__lt=params.end)
    return scoped(qs, params).annotate(
        # Not NULL: PostgreSQL hashes the linked incidents' change ids once, and reads only
        # the few that are set instead of every incident's.
        caused=Exists(
            Incident.objects.filter(
                caused_by_change_id__isnull=False, caused_by_change_id=OuterRef("pk")
            )
        )
    )


def approval_seconds():
    return SecondsBetween("decided_at", "submitted_at")


# The flags each change carries into the grouped query (reports.grouping counts them).
FLAGS = {
    "is_emergency": Q(change_class=ChangeClass.EMERGENCY),
    "is_successful": SUCCESS,
    "is_failed": FAILED,
    "is_rolled_back": ROLLED_BACK,
    "is_rejected": Q(status=CS.REJECTED),
    "is_cancelled": Q(status=CS.CANCELLED),
}
AGGREGATES = {
    "total": grouping.count(),
    "emergency": grouping.count(where="is_emergency"),
    "successful": grouping.count(where="is_successful"),
    "failed": grouping.count(where="is_failed"),
    "rolled_back": grouping.count(where="is_rolled_back"),
    "rejected": grouping.count(where="is_rejected"),
    "cancelled": grouping.count(where="is_cancelled"),
    "caused_incidents": grouping.count(where="caused"),
    "approval_mean_s": grouping.average("approval_s"),
    "approval_p90_s": grouping.percentile("approval_s", 0.9),
}
FIGURES = list(AGGREGATES)


def change_rows(params: ReportParams, base):
    """The planned changes as the rows the grouped figures read: month, class, flags."""
    return base.annotate(
        month=month_index("planned_start", params),
        approval_s=approval_seconds(),
        **{name: ExpressionWrapper(q, output_field=BooleanField()) for name, q in FLAGS.items()},
    ).values("month", "change_class", "caused", "approval_s", *FLAGS)


def with_rates(values: dict) -> dict:
    row = {key: values.get(key) for key in FIGURES}
    for key in FIGURES:
        if not key.startswith("approval"):
            row[key] = row[key] or 0
    row["success_rate"] = percent(row["successful"], row["successful"] + row["failed"])
    row["emergency_share"] = percent(row["emergency"], row["total"])
    return row


def columns(first: Column) -> list[Column]:
    return [
        first,
        Column("total", _("Changes")),
        Column("successful", _("Successful")),
        Column("failed", _("Failed verification")),
        Column("rolled_back", _("Rolled back")),
        Column("success_rate", _("Success rate"), PERCENT),
        Column("emergency", _("Emergency")),
        Column("emergency_share", _("Emergency share"), PERCENT),
        Column("rejected", _("Rejected")),
        Column("cancelled", _("Cancelled")),
        Column("caused_incidents", _("Caused incidents")),
        Column("approval_mean_s", _("Mean approval time"), SECONDS),
        Column("approval_p90_s", _("p90 approval time"), SECONDS),
    ]


def _links(params: ReportParams, **narrow) -> dict:
    every = drilldown.changes(params, **narrow)
    links = {"total": every, "approval_mean_s": every, "approval_p90_s": every}
    for key, states in OUTCOME_STATES.items():
        links[key] = drilldown.changes(params, statuses=states, **narrow)
    links["success_rate"] = links["successful"]
    if "change_class" not in narrow:
        links["emergency"] = drilldown.changes(params, change_class=ChangeClass.EMERGENCY, **narrow)
        links["emergency_share"] = links["emergency"]
    return links


@dataclass
class ChangeReport:
    params: ReportParams
    totals: dict
    tables: dict[str, Table] = field(default_factory=dict)

    def chart(self) -> dict:
        rows = self.tables["by_month"].rows
        return {
            "type": "bar",
            "stacked": True,
            "labels": [row["label"] for row in rows],
            "datasets": [
                {"label": str(_("Successful")), "data": [r["successful"] for r in rows]},
                {"label": str(_("Failed verification")), "data": [r["failed"] for r in rows]},
                {"label": str(_("Rejected")), "data": [r["rejected"] for r in rows]},
                {"label": str(_("Cancelled")), "data": [r["cancelled"] for r in rows]},
                {
                    "label": str(_("Emergency share %")),
                    "data": [r["emergency_share"] for r in rows],
                    "type": "line",
                    "yAxisID": "percent",
                },
            ],
            "axes": {"count": str(_("Changes")), "percent": str(_("Share %"))},
        }


def _by_month(params: ReportParams, found: list[dict]) -> Table:
    table = Table("by_month", str(_("By month")), columns(Column("label", _("Month"), TEXT)))
    table.note = str(_("By the month of the planned start."))
    months = {params.months[row["month"]]: row for row in found}
    for month in params.months:
        table.add(
            {"month": month.isoformat(), "label": month_label(month)}
            | with_rates(months.get(month, {})),
            _links(params, month=month),
        )
    return table


def _by_class(params: ReportParams, found: list[dict]) -> Table:
    table = Table("by_class", str(_("By class")), columns(Column("label", _("Class"), TEXT)))
    labels = dict(ChangeClass.choices)
    classes = {row["change_class"]: row for row in found}
    for key in ChangeClass.values:
        table.add(
            {"key": key, "label": str(labels[key])} | with_rates(classes.get(key, {})),
            _links(params, change_class=key),
        )
    return table


def _caused(params: ReportParams, base) -> Table:
    table = Table(
        "caused_incidents",
        str(_("Changes that caused incidents")),
        [
            Column("reference", _("Change"), TEXT),
            Column("title", _("Title"), TEXT),
            Column("change_class", _("Class"), TEXT),
            Column("incidents", _("Incidents")),
        ],
        empty=str(_("No change of this period is linked to an incident.")),
    )
    rows = list(
        base.filter(caused=True)
        .values("pk", "title", "change_class")
        .order_by("-planned_start", "-pk")[:CAUSED_ROWS]
    )
    ids = [row["pk"] for row in rows]
    counts = dict(
        Incident.objects.filter(caused_by_change_id__in=ids)
        .values("caused_by_change_id")
        .annotate(n=count())
        .values_list("caused_by_change_id", "n")
    )
    labels = dict(ChangeClass.choices)
    for row in rows:
        table.add(
            {
                "change_id": row["pk"],
                "reference": f"CHG-{row['pk']:05d}",
                "title": row["title"],
                "change_class": str(labels.get(row["change_class"], row["change_class"])),
                "incidents": counts.get(row["pk"], 0),
            },
            {
                "reference": reverse("changes:detail", args=[row["pk"]]),
                "incidents": drilldown.incidents_caused_by(row["pk"]),
            },
        )
    return table


def _cab(params: ReportParams) -> Table:
    table = Table(
        "cab",
        str(_("CAB throughput")),
        [
            Column("label", _("Month"), TEXT),
            Column("meetings", _("Meetings held")),
            Column("agenda", _("Agenda items")),
            Column("decided", _("Major changes decided")),
            Column("approved", _("Approved")),
            Column("rejected", _("Rejected")),
            Column("decision_mean_s", _("Mean time to decision"), SECONDS),
        ],
        note=str(_("Meetings by their date; decisions by the month they were taken.")),
    )
    held = CabMeeting.objects.filter(
        status=CabMeeting.Status.HELD, starts_at__gte=params.start, starts_at__lt=params.end
    )
    meetings = per_month(
        held, "starts_at", params, meetings=Count("pk", distinct=True), agenda=Count("agenda")
    )
    decisions = scoped(
        Change.objects.filter(
            change_class=ChangeClass.MAJOR,
            decided_at__gte=params.start,
            decided_at__lt=params.end,
        ),
        params,
    )
    decided = per_month(
        decisions,
        "decided_at",
        params,
        decided=count(),
        rejected=count(Q(status=CS.REJECTED)),
        decision_mean_s=Avg(approval_seconds()),
    )
    cab_page = reverse("changes:cab")
    for month in params.months:
        m, d = meetings.get(month, {}), decided.get(month, {})
        table.add(
            {
                "month": month.isoformat(),
                "label": month_label(month),
                "meetings": m.get("meetings", 0),
                "agenda": m.get("agenda", 0),
                "decided": d.get("decided", 0),
                "approved": d.get("decided", 0) - d.get("rejected", 0),
                "rejected": d.get("rejected", 0),
                "decision_mean_s": d.get("decision_mean_s"),
            },
            {"meetings": cab_page, "agenda": cab_page},
        )
    return table


def change_report(params: ReportParams) -> ChangeReport:
    base = planned_changes(params)
    sets = {"totals": (), "by_month": ("month",), "by_class": ("change_class",)}
    found = grouping.grouped(change_rows(params, base), grouping.Grouping(sets, AGGREGATES))
    totals = with_rates(found["totals"][0] if found["totals"] else {})
    totals["_links"] = _links(params)
    report = ChangeReport(params=params, totals=totals)
    report.tables["by_month"] = _by_month(params, found["by_month"])
    report.tables["by_class"] = _by_class(params, found["by_class"])
    report.tables["caused_incidents"] = _caused(params, base)
    report.tables["cab"] = _cab(params)
    return report
