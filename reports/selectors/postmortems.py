"""Postmortem report: postmortems by month and status, overdue ones, action items by owner
and team, overdue action items, and root causes that keep coming back.

Months are the incidents' detection months. "Required" follows the priority policy (P1/P2
by default) or a manager's request on the incident. The incidents app stores no due date
for a postmortem: one counts as overdue when it is still unpublished N days after the
incident recovered (REPORTS_POSTMORTEM_DUE_DAYS, default 5).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Max, Q, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models import ActionItem, Incident, Postmortem, PriorityPolicy

from .. import drilldown
from ..params import ReportParams, postmortem_due_days
from ..tables import DATETIME, PERCENT, TEXT, Column, Table, percent
from .common import count, incident_facts, month_label, per_month

PM = Postmortem.Status
ITEM = ActionItem.Status
TOP_CAUSES = 20
EXAMPLES_PER_CAUSE = 5
OVERDUE_ROWS = 50


def required_q() -> Q:
    """Incident facts that need a postmortem: by the priority policy (now) or on request.

    The policy's priorities are read first and passed as a list, so the planner can use the
    facts' (priority, ...) indexes.
    """
    priorities = list(
        PriorityPolicy.objects.filter(postmortem_required=True).values_list("priority", flat=True)
    )
    return Q(priority__in=priorities) | Q(postmortem_requested=True)


@dataclass
class PostmortemReport:
    params: ReportParams
    totals: dict
    tables: dict[str, Table] = field(default_factory=dict)

    def chart(self) -> dict:
        rows = self.tables["by_month"].rows
        series = [
            ("draft", _("Draft")),
            ("in_review", _("In review")),
            ("published", _("Published")),
            ("missing", _("Required, not started")),
        ]
        return {
            "type": "bar",
            "stacked": True,
            "labels": [row["label"] for row in rows],
            "datasets": [
                {"label": str(label), "data": [row[key] for row in rows]} for key, label in series
            ],
        }


def _by_month(params: ReportParams) -> Table:
    table = Table(
        "by_month",
        str(_("Postmortems by month")),
        [
            Column("label", _("Month"), TEXT),
            Column("total", _("Postmortems")),
            Column("draft", _("Draft")),
            Column("in_review", _("In review")),
            Column("published", _("Published")),
            Column("missing", _("Required, not started")),
            Column("published_pct", _("Published"), PERCENT),
        ],
        note=str(_("By the month the incident was detected.")),
    )
    required = required_q()
    counted = per_month(
        incident_facts(params).filter(~Q(postmortem_status="") | required),
        "detected_at",
        params,
        total=count(~Q(postmortem_status="")),
        draft=count(Q(postmortem_status=PM.DRAFT)),
        in_review=count(Q(postmortem_status=PM.IN_REVIEW)),
        published=count(Q(postmortem_status=PM.PUBLISHED)),
        missing=count(required & Q(postmortem_status="")),
    )
    for month in params.months:
        row = counted.get(month, {})
        values = {k: row.get(k, 0) for k in ("total", "draft", "in_review", "published", "missing")}
        values["published_pct"] = percent(values["published"], values["total"] + values["missing"])
        link = drilldown.incidents(params, month=month)
        table.add(
            {"month": month.isoformat(), "label": month_label(month), **values},
            dict.fromkeys(values, link),
        )
    return table


def overdue_postmortems(params: ReportParams, now: dt.datetime):
    """Facts of required postmortems still unpublished N days after recovery (any month)."""
    due = now - dt.timedelta(days=postmortem_due_days())
    return (
        incident_facts(params, in_period=False)
        .filter(required_q(), recovered_at__lt=due)
        .exclude(postmortem_status=PM.PUBLISHED)
    )


def _overdue_postmortems(params: ReportParams, now: dt.datetime) -> tuple[Table, int]:
    due_days = postmortem_due_days()
    overdue = overdue_postmortems(params, now)
    table = Table(
        "overdue_postmortems",
        str(_("Overdue postmortems")),
        [
            Column("reference", _("Incident"), TEXT),
            Column("title", _("Title"), TEXT),
            Column("priority", _("Priority"), TEXT),
            Column("team", _("Team"), TEXT),
            Column("recovered_at", _("Recovered"), DATETIME),
            Column("days_overdue", _("Days overdue")),
            Column("state", _("Postmortem"), TEXT),
        ],
        note=str(
            _("As of today, any month: required, and unpublished %(days)s days after recovery.")
            % {"days": due_days}
        ),
        empty=str(_("No overdue postmortem.")),
    )
    total = overdue.count()
    states = dict(PM.choices)
    rows = overdue.order_by("recovered_at", "incident_id").values(
        "incident_id", "incident__title", "priority", "team__name", "recovered_at",
        "postmortem_status",
    )[:OVERDUE_ROWS]  # fmt: skip
    for row in rows:
        pk, state = row["incident_id"], row["postmortem_status"]
        table.add(
            {
                "incident_id": pk,
                "reference": Incident(pk=pk).reference,
                "title": row["incident__title"],
                "priority": row["priority"],
                "team": row["team__name"],
                "recovered_at": row["recovered_at"],
                "days_overdue": (now - row["recovered_at"]).days - due_days,
                "state": str(states.get(state, _("Not started"))),
            },
            {
                "reference": reverse(
                    "incidents:postmortem" if state else "incidents:detail", args=[pk]
                )
            },
        )
    return table, total


ITEM_FIGURES = ["open", "overdue", "done", "cancelled", "total"]


def _item_aggregates(today: dt.date) -> dict:
    return {
        "open": count(Q(status=ITEM.OPEN)),
        "overdue": count(Q(status=ITEM.OPEN, due_date__lt=today)),
        "done": count(Q(status=ITEM.DONE)),
        "cancelled": count(Q(status=ITEM.CANCELLED)),
        "total": count(),
    }


def _items(params: ReportParams, by: str) -> Table:
    """Action items by owner or team, as of today (their list filters by owner and team)."""
    items = ActionItem.objects.all()
    if params.team is not None:
        items = items.filter(team=params.team)
    first = Column("label", _("Owner"), TEXT) if by == "owner" else Column("label", _("Team"), TEXT)
    table = Table(
        f"items_by_{by}",
        str(_("Action items by owner") if by == "owner" else _("Action items by team")),
        [
            first,
            Column("open", _("Open")),
            Column("overdue", _("Overdue")),
            Column("done", _("Done")),
            Column("cancelled", _("Cancelled")),
            Column("total", _("All")),
        ],
        note=str(_("As of today, any month; the team filter applies.")),
        empty=str(_("No action items yet.")),
    )
    if by == "owner":
        fields = ["owner__username", "owner__first_name", "owner__last_name"]
        order = ["-overdue", "-open", "owner__username"]
    else:
        fields = ["team__slug", "team__name"]
        order = ["-overdue", "-open", "team__name"]
    rows = items.values(*fields).annotate(**_item_aggregates(params.today)).order_by(*order)
    for row in rows:
        if by == "owner":
            name = f"{row['owner__first_name']} {row['owner__last_name']}".strip()
            key, label = row["owner__username"], name or row["owner__username"]
            narrow = {"owner": key, "team": params.team}
        else:
            key, label = row["team__slug"], row["team__name"]
            narrow = {"team": key}
        table.add(
            {"key": key, "label": label, **{k: row[k] for k in ITEM_FIGURES}},
            {
                "open": drilldown.action_items(status=ITEM.OPEN, **narrow),
                "overdue": drilldown.action_items(overdue=True, status=ITEM.OPEN, **narrow),
                "done": drilldown.action_items(status=ITEM.DONE, **narrow),
                "cancelled": drilldown.action_items(status=ITEM.CANCELLED, **narrow),
                "total": drilldown.action_items(**narrow),
            },
        )
    return table


def _recurring_causes(params: ReportParams) -> Table:
    table = Table(
        "recurring_causes",
        str(_("Recurring root causes")),
        [
            Column("cause", _("Root cause"), TEXT),
            Column("incidents", _("Incidents")),
            Column("services", _("Services")),
            Column("last_seen", _("Last seen"), DATETIME),
            Column("examples", _("Latest incidents"), TEXT),
        ],
        note=str(
            _(
                "Postmortems of the period whose root cause (or last of the five whys) reads "
                "the same, ignoring case and surrounding spaces."
            )
        ),
        empty=str(_("No root cause came up twice in this period.")),
    )
    causes = incident_facts(params).exclude(root_cause="")
    top = list(
        causes.values("root_cause")
        .annotate(
            incidents=count(),
            services=Count("service", distinct=True),
            last_seen=Max("detected_at"),
        )
        .filter(incidents__gte=2)
        .order_by("-incidents", "root_cause")[:TOP_CAUSES]
    )
    examples: dict[str, list[str]] = {row["root_cause"]: [] for row in top}
    if top:
        latest = (
            causes.filter(root_cause__in=list(examples))
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("root_cause")],
                    order_by=[F("detected_at").desc(), F("incident_id").desc()],
                )
            )
            .filter(rank__lte=EXAMPLES_PER_CAUSE)
            .values_list("root_cause", "incident_id")
            .order_by("root_cause", "rank")
        )
        for cause, incident_id in latest:
            examples[cause].append(Incident(pk=incident_id).reference)
    for row in top:
        cause = row.pop("root_cause")
        table.add({"cause": cause, **row, "examples": ", ".join(examples[cause])})
    return table


def postmortem_report(params: ReportParams, *, now: dt.datetime | None = None) -> PostmortemReport:
    now = now or timezone.now()
    report = PostmortemReport(params=params, totals={})
    report.tables["by_month"] = _by_month(params)
    overdue, overdue_total = _overdue_postmortems(params, now)
    report.tables["overdue_postmortems"] = overdue
    report.tables["items_by_owner"] = _items(params, "owner")
    report.tables["items_by_team"] = _items(params, "team")
    report.tables["recurring_causes"] = _recurring_causes(params)
    months = report.tables["by_month"].rows
    items = report.tables["items_by_team"].rows
    report.totals = {
        "postmortems": sum(r["total"] for r in months),
        "published": sum(r["published"] for r in months),
        "missing": sum(r["missing"] for r in months),
        "overdue_postmortems": overdue_total,
        "open_items": sum(r["open"] for r in items),
        "overdue_items": sum(r["overdue"] for r in items),
        "_links": {
            "open_items": drilldown.action_items(status=ITEM.OPEN, team=params.team),
            "overdue_items": drilldown.action_items(
                status=ITEM.OPEN, overdue=True, team=params.team
            ),
        },
    }
    return report
