"""Release and DORA report.

Releases belong to the month of their planned date (what the release list filters on): how
many were planned, shipped (done), rolled back, cancelled or are still in flight, how many
times test or staging sent them back to development, per month and per kind. The DORA
figures come from releases.dora, the portal's one definition of them (deployment frequency,
lead time, change failure rate, time to restore), per month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from itsm.models import AuditEvent
from releases.dora import dora_table
from releases.models import FINISHED, Kind, Release, Stage

from .. import drilldown
from ..params import ReportParams, add_months
from ..tables import PERCENT, TEXT, Column, Table, percent
from .common import count, month_label, per_month

SENT_BACK = ["fail_test", "fail_staging"]
IN_FLIGHT = [s for s in Stage.values if s not in FINISHED]


def planned_releases(params: ReportParams):
    qs = Release.objects.filter(planned_at__gte=params.start, planned_at__lt=params.end)
    if params.team is not None:
        qs = qs.filter(team=params.team)
    if params.service is not None:
        through = Release.services.through
        qs = qs.filter(pk__in=through.objects.filter(service=params.service).values("release_id"))
    return qs


def _sent_back():
    """How many times test or staging sent the release back (from its audit trail).

    Used inside Sum() directly: an annotation referenced by aggregate() next to filtered
    counts makes Django 5.2 push the query down into a subquery that loses the column.
    """
    events = (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Release),
            object_id=Cast(OuterRef("pk"), CharField()),
            action__in=SENT_BACK,
        )
        .order_by()
        .values("object_id")
        .annotate(n=count())
        .values("n")
    )
    return Coalesce(Subquery(events, output_field=IntegerField()), 0)


def release_aggregates() -> dict:
    return {
        "planned": count(),
        "done": count(Q(stage=Stage.DONE)),
        "rolled_back": count(Q(stage=Stage.ROLLED_BACK)),
        "cancelled": count(Q(stage=Stage.CANCELLED)),
        "in_flight": count(Q(stage__in=IN_FLIGHT)),
        "hotfixes": count(Q(kind=Kind.HOTFIX)),
        "sent_back": Sum(_sent_back(), default=0),
    }


FIGURES = ["planned", "done", "rolled_back", "cancelled", "in_flight", "hotfixes", "sent_back"]


def with_rates(values: dict) -> dict:
    row = {key: values.get(key) or 0 for key in FIGURES}
    row["rollback_rate"] = percent(row["rolled_back"], row["done"] + row["rolled_back"])
    return row


def columns(first: Column) -> list[Column]:
    return [
        first,
        Column("planned", _("Releases")),
        Column("done", _("Shipped")),
        Column("rolled_back", _("Rolled back")),
        Column("rollback_rate", _("Rollback rate"), PERCENT),
        Column("cancelled", _("Cancelled")),
        Column("in_flight", _("In flight")),
        Column("hotfixes", _("Hotfixes")),
        Column("sent_back", _("Sent back to development")),
    ]


def _release_list(params: ReportParams, *, month=None, kind=None, stages=None) -> str:
    first = month or params.first_month
    last = add_months(month or params.last_month, 1) - dt.timedelta(days=1)
    return drilldown.url(
        "releases:list",
        {
            "planned_after": first.isoformat(),
            "planned_before": last.isoformat(),
            "kind": kind,
            "stage": stages,
            "team": params.team.slug if params.team else None,
            "service": params.service.slug if params.service else None,
        },
    )


def _links(params: ReportParams, **narrow) -> dict:
    every = _release_list(params, **narrow)
    return {
        "planned": every,
        "sent_back": every,
        "done": _release_list(params, stages=[Stage.DONE], **narrow),
        "rolled_back": _release_list(params, stages=[Stage.ROLLED_BACK], **narrow),
        "rollback_rate": _release_list(params, stages=[Stage.ROLLED_BACK], **narrow),
        "cancelled": _release_list(params, stages=[Stage.CANCELLED], **narrow),
        "in_flight": _release_list(params, stages=IN_FLIGHT, **narrow),
    }


@dataclass
class ReleaseReport:
    params: ReportParams
    totals: dict
    tables: dict[str, Table] = field(default_factory=dict)

    def chart(self) -> dict:
        rows = self.tables["by_month"].rows
        dora = {row["month"]: row for row in self.tables["dora"].rows}
        return {
            "type": "bar",
            "stacked": True,
            "labels": [row["label"] for row in rows],
            "datasets": [
                {"label": str(_("Shipped")), "data": [r["done"] for r in rows]},
                {"label": str(_("Rolled back")), "data": [r["rolled_back"] for r in rows]},
                {"label": str(_("Cancelled")), "data": [r["cancelled"] for r in rows]},
                {
                    "label": str(_("Change failure rate %")),
                    "data": [dora.get(r["month"], {}).get("change_failure_rate") for r in rows],
                    "type": "line",
                    "yAxisID": "percent",
                },
            ],
            "axes": {"count": str(_("Releases")), "percent": str(_("Rate %"))},
        }


def _dora(params: ReportParams) -> Table:
    table = Table(
        "dora",
        str(_("DORA metrics")),
        [
            Column("label", _("Month"), TEXT),
            Column("deployments", _("Production deployments")),
            Column("change_failure_rate", _("Change failure rate"), PERCENT),
            Column("lead_time_h", _("Lead time, median (h)"), "hours"),
            Column("time_to_restore_h", _("Time to restore, median (h)"), "hours"),
        ],
        note=str(
            _(
                "From the releases app's DORA definitions: successful production deployments; "
                "failed, rolled back or incident-causing ones over all finished; lead time "
                "from a linked change's approval to production; time to restore of incidents "
                "caused by a deployment. The team filter does not apply."
            )
        ),
    )
    services = [params.service.pk] if params.service is not None else None
    rows = dora_table(
        first=params.first_month, last=params.last_month, services=services, tz=params.zone
    )
    totals = {row.month: row for row in rows if row.service_id is None}
    link = drilldown.url(
        "releases:dora",
        {"months": len(params.months), "service": params.service.pk if params.service else None},
    )
    for month in params.months:
        row = totals.get(month)
        values = row.as_dict() if row else {}
        table.add(
            {
                "month": month.isoformat(),
                "label": month_label(month),
                "deployments": values.get("deployments", 0),
                "change_failure_rate": values.get("change_failure_rate"),
                "lead_time_h": values.get("lead_time_hours"),
                "time_to_restore_h": values.get("time_to_restore_hours"),
            },
            {"deployments": link, "change_failure_rate": link},
        )
    return table


def release_report(params: ReportParams) -> ReleaseReport:
    base = planned_releases(params)
    totals = with_rates(base.aggregate(**release_aggregates()))
    totals["_links"] = _links(params)
    report = ReleaseReport(params=params, totals=totals)

    by_month = Table("by_month", str(_("By month")), columns(Column("label", _("Month"), TEXT)))
    by_month.note = str(_("By the month of the planned date."))
    found = per_month(base, "planned_at", params, **release_aggregates())
    for month in params.months:
        by_month.add(
            {"month": month.isoformat(), "label": month_label(month)}
            | with_rates(found.get(month, {})),
            _links(params, month=month),
        )
    report.tables["by_month"] = by_month

    by_kind = Table("by_kind", str(_("By kind")), columns(Column("label", _("Kind"), TEXT)))
    found = {r["kind"]: r for r in base.values("kind").annotate(**release_aggregates()).order_by()}
    for kind, label in Kind.choices:
        by_kind.add(
            {"key": kind, "label": str(label)} | with_rates(found.get(kind, {})),
            _links(params, kind=kind),
        )
    report.tables["by_kind"] = by_kind
    report.tables["dora"] = _dora(params)
    report.totals["dora_page"] = reverse("releases:dora")
    return report
