"""Report pages: read the filters, call one selector, render (or export one table as CSV).

Every page is a GET with the filters in the query string, so a link or a bookmark
reproduces the figures; `?export=<table>` downloads that table as CSV with the same filters.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from incidents.models import Incident
from itsm.pagecache import cached_page

from .db import report_session
from .params import DEFAULT_MONTHS, ReportFilterForm
from .permissions import require_reader
from .selectors.backups import backup_report
from .selectors.changes import change_report
from .selectors.dashboard import dashboard
from .selectors.explain import explain
from .selectors.postmortems import postmortem_report
from .selectors.releases import release_report
from .selectors.sla import BREAKDOWNS, sla_report
from .tables import csv_response


def _filters(request, *, default_months: int = DEFAULT_MONTHS):
    """The filter form and its params; invalid filters fall back to the defaults, with a
    message saying what was wrong (a report link never ends in an error page)."""
    form = ReportFilterForm(request.GET, default_months=default_months)
    if not form.is_valid():
        messages.warning(request, _("Filters ignored: %(errors)s") % {"errors": form.error_text()})
        form = ReportFilterForm({}, default_months=default_months)
        form.is_valid()
    return form, form.params()


def _export(request, report, prefix: str):
    name = request.GET.get("export")
    if not name:
        return None
    table = report.tables.get(name)
    if table is None:
        raise Http404(_("No such table in this report."))
    params = report.params
    return csv_response(
        table, prefix=f"{prefix}-{params.first_month:%Y%m}-{params.last_month:%Y%m}"
    )


def _context(request, form, report, **extra) -> dict:
    params = report.params
    query = params.query()
    return {
        "form": form,
        "params": params,
        "report": report,
        "query": urlencode(query, doseq=True),
        "chart": report.chart() if hasattr(report, "chart") else None,
        **extra,
    }


def _for_every_reader(request) -> bool:
    """Reports count everyone's records: readers with the same permissions share them."""
    return True


@cached_page(shared_when=_for_every_reader)
def report_list(request):
    """The manager dashboard: this month at a glance."""
    require_reader(request.user)
    form, params = _filters(request, default_months=1)
    with report_session():
        board = dashboard(params)
    return render(
        request,
        "reports/dashboard.html",
        {"form": form, "params": params, "board": board, "chart": board.chart()},
    )


@cached_page(shared_when=_for_every_reader)
def sla(request):
    require_reader(request.user)
    form, params = _filters(request)
    by = request.GET.get("by", "priority")
    if by not in BREAKDOWNS:
        by = "priority"
    export = request.GET.get("export", "")
    if export.startswith("by_") and export[3:] in BREAKDOWNS:
        by = export[3:]
    with report_session():
        report = sla_report(params, by=(by,))
    response = _export(request, report, "sla")
    if response is not None:
        return response
    tabs = [(key, str(title)) for key, (title, _label) in BREAKDOWNS.items()]
    return render(
        request,
        "reports/sla.html",
        _context(request, form, report, by=by, tabs=tabs, breakdown=report.tables[f"by_{by}"]),
    )


def sla_incident(request, pk: int):
    """One incident's SLA history: when each clock started, paused, resumed, warned, breached."""
    require_reader(request.user)
    incident = get_object_or_404(Incident.objects.select_related("team", "service"), pk=pk)
    return render(request, "reports/sla_incident.html", {"explanation": explain(incident)})


def _report_page(build, name: str):
    """A report page: the filters, one selector in a report session, the page or a CSV."""

    @cached_page(shared_when=_for_every_reader)
    def page(request):
        require_reader(request.user)
        form, params = _filters(request)
        with report_session():
            report = build(params)
        return _export(request, report, name) or render(
            request, f"reports/{name}.html", _context(request, form, report)
        )

    page.__name__ = page.__qualname__ = name
    return page


postmortems = _report_page(postmortem_report, "postmortems")
changes = _report_page(change_report, "changes")
releases = _report_page(release_report, "releases")
backups = _report_page(backup_report, "backups")
