"""GET /api/v1/reports/...: the figures of the report pages as JSON, for other tools.

The same filter form and selectors as the pages, so a query string gives the same figures
in the browser, the CSV export and here. Bad filters are a 400 with the form's messages.
"""

from __future__ import annotations

from collections.abc import Callable

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from incidents.models import Incident

from ..db import report_session
from ..params import ReportFilterForm, ReportParams
from ..permissions import CanReadReports
from ..selectors.backups import backup_report
from ..selectors.changes import change_report
from ..selectors.dashboard import dashboard
from ..selectors.explain import explain
from ..selectors.postmortems import postmortem_report
from ..selectors.releases import release_report
from ..selectors.sla import BREAKDOWNS, sla_report
from ..tables import Table
from . import serializers as s


def params_from(request, *, default_months: int | None = None) -> ReportParams:
    kwargs = {"default_months": default_months} if default_months else {}
    form = ReportFilterForm(request.query_params, **kwargs)
    if not form.is_valid():
        raise ValidationError(
            {field: [str(e) for e in errors] for field, errors in form.errors.items()}
        )
    return form.params()


def filters(params: ReportParams) -> dict:
    return {
        "first_month": params.first_month,
        "last_month": params.last_month,
        "time_zone": params.zone.key,
        "priorities": list(params.priorities),
        "team": params.team.slug if params.team else None,
        "service": params.service.slug if params.service else None,
    }


def rows(table: Table) -> list[dict]:
    return [
        {**{k: v for k, v in row.items() if not k.startswith("_")}, "links": row["_links"]}
        for row in table.rows
    ]


def figures(totals: dict) -> dict:
    return {
        **{k: v for k, v in totals.items() if not k.startswith("_") and k != "dora_page"},
        "links": totals["_links"],
    }


def report_body(params: ReportParams, report) -> dict:
    """A report's filters, totals and every table, as the response serializers read them."""
    return {
        "filters": filters(params),
        "totals": figures(report.totals),
        **{name: rows(table) for name, table in report.tables.items()},
    }


class ReportView(APIView):
    permission_classes = [IsAuthenticated, CanReadReports]


class TableReportView(ReportView):
    """A report of the common filters: one selector, its figures through one serializer."""

    build: Callable[[ReportParams], object]
    serializer: type[Serializer]

    def get(self, request):
        params = params_from(request)
        with report_session():
            report = self.build(params)
        return Response(self.serializer(report_body(params, report)).data)


def table_report(name: str, build, serializer, *, summary: str, description: str):
    """The documented API view of a report that takes the common filters."""
    view = type(name, (TableReportView,), {"build": staticmethod(build), "serializer": serializer})
    schema = extend_schema(
        operation_id=f"reports_{build.__name__.removesuffix('_report')}s",
        summary=summary,
        description=description,
        parameters=[s.ReportQuerySerializer],
        responses=serializer,
    )
    return extend_schema_view(get=schema)(view)


BY = OpenApiParameter(
    "by",
    str,
    many=True,
    enum=list(BREAKDOWNS),
    description="Breakdowns to include (repeat for several; default: priority).",
)


class SlaReportView(ReportView):
    @extend_schema(
        operation_id="reports_sla",
        summary="SLA report",
        description="Per month and per priority, team or service: incidents, response and "
        "resolution met %, breaches, mean and p90 time to acknowledge and to resolve "
        "(counted time: business or calendar time as the policy counts it, pauses excluded).",
        parameters=[s.ReportQuerySerializer, BY],
        responses=s.ReportSlaSerializer,
    )
    def get(self, request):
        params = params_from(request)
        by = request.query_params.getlist("by") or ["priority"]
        unknown = [name for name in by if name not in BREAKDOWNS]
        if unknown:
            raise ValidationError({"by": [f"Unknown breakdown: {', '.join(unknown)}"]})
        with report_session():
            report = sla_report(params, by=tuple(dict.fromkeys(by)))
        return Response(s.ReportSlaSerializer(report_body(params, report)).data)


class SlaIncidentView(ReportView):
    @extend_schema(
        operation_id="reports_sla_incident",
        summary="SLA history of one incident",
        description="When each clock started, paused, resumed, warned, breached and stopped, "
        "the time counted in each running segment, and the incident's audit trail.",
        responses=s.ReportSlaIncidentSerializer,
    )
    def get(self, request, pk: int):
        incident = get_object_or_404(Incident, pk=pk)
        explanation = explain(incident)
        body = {
            "incident_id": incident.pk,
            "reference": incident.reference,
            "priority": incident.priority,
            "clocks": [
                {
                    "name": story.clock.name,
                    "label": story.label,
                    "mode": story.clock.mode,
                    "calendar": story.clock.calendar.name if story.clock.calendar else None,
                    "target_s": story.clock.target.total_seconds(),
                    "elapsed_s": story.elapsed_s,
                    "paused_s": story.paused_s,
                    "outcome": story.outcome,
                    "started_at": story.clock.started_at,
                    "stopped_at": story.clock.stopped_at,
                    "warned_at": story.clock.warned_at,
                    "breached_at": story.clock.breached_at,
                    "deadline": story.clock.deadline,
                    "steps": [vars(step) for step in story.steps],
                }
                for story in explanation.clocks
            ],
            "events": [
                {
                    "at": event.at,
                    "action": event.action,
                    "from_state": event.from_state,
                    "to_state": event.to_state,
                    "actor": event.actor.get_username() if event.actor else None,
                    "source": event.source,
                    "message": event.message,
                }
                for event in explanation.events
            ],
        }
        return Response(s.ReportSlaIncidentSerializer(body).data)


class DashboardView(ReportView):
    @extend_schema(
        operation_id="reports_dashboard",
        summary="Manager dashboard",
        description="This month at a glance: open P1/P2 now, SLA met % (and last month), "
        "breaches of the last six months, changes this week, overdue postmortems and action "
        "items. `from`/`to` are ignored.",
        parameters=[s.ReportQuerySerializer],
        responses=s.ReportDashboardSerializer,
    )
    def get(self, request):
        params = params_from(request, default_months=1)
        with report_session():
            board = dashboard(params)
        week = board.figures["week"]
        body = {
            "month": board.params.first_month,
            "filters": filters(board.params),
            "figures": {k: v for k, v in board.figures.items() if k != "week"},
            "links": board.links,
            "trend": board.trend,
            "week": board.week,
            "week_first_day": week["first_day"],
            "week_last_day": week["last_day"],
        }
        return Response(s.ReportDashboardSerializer(body).data)


PostmortemReportView = table_report(
    "PostmortemReportView",
    postmortem_report,
    s.ReportPostmortemsSerializer,
    summary="Postmortem report",
    description="Postmortems by month and status, overdue postmortems, action items by owner "
    "and team (as of today), recurring root causes.",
)
ChangeReportView = table_report(
    "ChangeReportView",
    change_report,
    s.ReportChangesSerializer,
    summary="Change report",
    description="Changes by planned month and class: outcomes, success rate, emergency share, "
    "rollbacks, changes that caused incidents, approval times, CAB throughput. `priority` does "
    "not apply to changes.",
)
ReleaseReportView = table_report(
    "ReleaseReportView",
    release_report,
    s.ReportReleasesSerializer,
    summary="Release and DORA report",
    description="Releases by planned month and kind: shipped, rolled back, cancelled, in "
    "flight, hotfixes, times sent back to development; DORA metrics per month. `priority` "
    "does not apply; `team` does not apply to the DORA figures.",
)
BackupReportView = table_report(
    "BackupReportView",
    backup_report,
    s.ReportBackupsSerializer,
    summary="Backup compliance report",
    description="Compliance of every active target now (RPO met / at risk / breached, 3-2-1, "
    "restore tests) and, per month, backup runs, restore tests against the RTO and RPO "
    "breaches. `priority` does not apply.",
)
