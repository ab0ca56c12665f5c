"""Manager dashboard: this month at a glance, in the reader's time zone.

Open P1/P2 incidents now, SLA met % this month (against last month), the breaches of the
last six months, changes planned this week, overdue postmortems and action items.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from changes.models import ChangeClass
from changes.models import Status as CS
from incidents.models import OPEN, ActionItem

from .. import drilldown, grouping
from ..params import ReportParams, add_months
from .changes import FAILED, SUCCESS, scoped
from .common import count, incident_facts, month_label
from .postmortems import overdue_postmortems
from .sla import COUNTS, sla_rows, with_rates

TREND_MONTHS = 6
URGENT = ["P1", "P2"]


@dataclass
class Dashboard:
    params: ReportParams
    figures: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)
    trend: list[dict] = field(default_factory=list)
    week: list[dict] = field(default_factory=list)

    def chart(self) -> dict:
        return {
            "type": "bar",
            "labels": [row["label"] for row in self.trend],
            "datasets": [
                {
                    "label": str(_("Incidents with a breach")),
                    "data": [row["breached_tickets"] for row in self.trend],
                },
                {
                    "label": str(_("Incidents")),
                    "data": [row["tickets"] for row in self.trend],
                    "type": "line",
                },
            ],
        }


def _week_bounds(params: ReportParams, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """This week's Monday and Sunday in the report's time zone."""
    today = now.astimezone(params.zone).date()
    monday = today - dt.timedelta(days=today.weekday())
    return monday, monday + dt.timedelta(days=6)


def _midnight(day: dt.date, params: ReportParams) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=params.zone)


WEEK_BUCKETS = [
    ("planned", _("Not started"), [CS.AWAITING_APPROVAL, CS.APPROVED, CS.SCHEDULED]),
    ("running", _("In progress"), [CS.IMPLEMENTING, CS.VERIFYING]),
    ("successful", _("Successful"), [CS.COMPLETED, CS.REVIEW, CS.CLOSED]),
    ("failed", _("Failed or rolled back"), [CS.FAILED, CS.ROLLED_BACK]),
]


def dashboard(params: ReportParams, *, now: dt.datetime | None = None) -> Dashboard:
    """The current month of `params` (its range is ignored) and the trend before it."""
    from changes.models import Change

    now = now or timezone.now()
    this_month = now.astimezone(params.zone).date().replace(day=1)
    month = replace(params, first_month=this_month, last_month=this_month)
    trend = replace(
        params, first_month=add_months(this_month, 1 - TREND_MONTHS), last_month=this_month
    )
    board = Dashboard(params=month)

    # From the facts (kept current after each commit): the partial index of open incidents
    # answers this without visiting the incidents.
    open_urgent = incident_facts(params, in_period=False).filter(
        status__in=OPEN, priority__in=URGENT
    )
    urgent = open_urgent.aggregate(p1=count(Q(priority="P1")), p2=count(Q(priority="P2")))
    board.figures.update(open_p1=urgent["p1"], open_p2=urgent["p2"])
    open_states = [str(s) for s in OPEN]
    for key, priority in (("open_p1", "P1"), ("open_p2", "P2")):
        board.links[key] = drilldown.incidents(
            params, period=False, priority=priority, statuses=open_states
        )

    # This month, last month and the trend: one grouped count over the trend's facts.
    by_month = grouping.Grouping({"months": ("month",)}, COUNTS)
    found = grouping.grouped(sla_rows(trend), by_month)["months"]
    months = {trend.months[row["month"]]: row for row in found}
    sla_now = with_rates(months.get(this_month, {}))
    sla_before = with_rates(months.get(add_months(this_month, -1), {}))
    board.figures.update(
        tickets=sla_now["tickets"],
        response_met_pct=sla_now["response_met_pct"],
        resolution_met_pct=sla_now["resolution_met_pct"],
        breached_tickets=sla_now["breached_tickets"],
        last_response_met_pct=sla_before["response_met_pct"],
        last_resolution_met_pct=sla_before["resolution_met_pct"],
        last_breached_tickets=sla_before["breached_tickets"],
    )
    board.links.update(
        tickets=drilldown.incidents(month),
        breached_tickets=drilldown.incidents(month, breached=True),
        response_met_pct=drilldown.incidents(month, breached=False),
        resolution_met_pct=drilldown.incidents(month, breached=False),
    )
    for m in trend.months:
        row = with_rates(months.get(m, {}))
        board.trend.append(
            {
                "month": m.isoformat(),
                "label": month_label(m),
                "tickets": row["tickets"],
                "breached_tickets": row["breached_tickets"],
                "link": drilldown.incidents(trend, month=m, breached=True),
            }
        )

    monday, sunday = _week_bounds(params, now)
    # Monday 00:00 to the next Monday 00:00 in the report's zone (not the server's).
    week = scoped(
        Change.objects.filter(
            planned_start__gte=_midnight(monday, params),
            planned_start__lt=_midnight(sunday + dt.timedelta(days=1), params),
        ),
        params,
    )
    counts = week.aggregate(
        total=count(),
        emergency=count(Q(change_class=ChangeClass.EMERGENCY)),
        successful=count(SUCCESS),
        failed=count(FAILED),
        **{f"state_{key}": count(Q(status__in=states)) for key, _label, states in WEEK_BUCKETS},
    )
    board.figures.update(changes_this_week=counts["total"], emergency_this_week=counts["emergency"])
    week_link = {"first_day": monday, "last_day": sunday}
    board.links["changes_this_week"] = drilldown.changes(params, **week_link)
    board.links["emergency_this_week"] = drilldown.changes(
        params, change_class=ChangeClass.EMERGENCY, **week_link
    )
    for key, label, states in WEEK_BUCKETS:
        board.week.append(
            {
                "key": key,
                "label": str(label),
                "count": counts[f"state_{key}"],
                "link": drilldown.changes(params, statuses=states, **week_link),
            }
        )
    board.figures["week"] = {"first_day": monday, "last_day": sunday}

    board.figures["overdue_postmortems"] = overdue_postmortems(params, now).count()
    items = ActionItem.objects.filter(
        status=ActionItem.Status.OPEN, due_date__lt=now.astimezone(params.zone).date()
    )
    if params.team is not None:
        items = items.filter(team=params.team)
    board.figures["overdue_items"] = items.count()
    board.links["overdue_items"] = drilldown.action_items(
        status=ActionItem.Status.OPEN, overdue=True, team=params.team
    )
    _releases_and_backups(board, month, now)
    return board


def _releases_and_backups(board: Dashboard, month: ReportParams, now: dt.datetime) -> None:
    """Releases shipped or rolled back this month; backup targets breaching their RPO now."""
    from backups.selectors import Compliance, with_compliance
    from releases.models import Release, Stage

    from .backups import targets

    releases = Release.objects.filter(
        Q(done_at__gte=month.start, done_at__lt=month.end)
        | Q(rolled_back_at__gte=month.start, rolled_back_at__lt=month.end)
    )
    if month.team is not None:
        releases = releases.filter(team=month.team)
    if month.service is not None:
        releases = releases.filter(
            pk__in=Release.services.through.objects.filter(service=month.service).values(
                "release_id"
            )
        )
    counts = releases.aggregate(
        shipped=count(Q(stage=Stage.DONE)),
        rolled_back=count(Q(stage=Stage.ROLLED_BACK)),
    )
    board.figures.update(
        releases_shipped=counts["shipped"], releases_rolled_back=counts["rolled_back"]
    )
    board.links["releases"] = drilldown.url("reports:releases", month.query())
    breached = Compliance.SEVERITY[Compliance.BREACHED]
    board.figures["backups_breached"] = (
        with_compliance(targets(month), now).filter(severity=breached).count()
    )
    board.links["backups_breached"] = drilldown.url(
        "backups:list",
        {
            "compliance": [Compliance.BREACHED],
            "team": month.team.slug if month.team else None,
            "service": month.service.slug if month.service else None,
        },
    )
