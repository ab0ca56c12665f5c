"""The SLA figures against the hand-computed data set of tests/reports/factories.py."""

import pytest
import time_machine

from reports.params import ReportFilterForm
from reports.selectors.sla import sla_report

from .factories import MAY, REPORT_NOW


def params(**extra):
    form = ReportFilterForm({**MAY, **extra})
    assert form.is_valid(), form.errors
    return form.params()


@pytest.fixture
def report(may):
    with time_machine.travel(REPORT_NOW, tick=False):
        return sla_report(params(), by=("priority", "team", "service"))


def test_totals_match_the_hand_computed_figures(report):
    t = report.totals
    assert t["tickets"] == 5  # E, a merged duplicate, is not counted
    assert (t["response_met"], t["response_breached"], t["response_met_pct"]) == (3, 2, 60.0)
    assert (t["resolution_met"], t["resolution_breached"], t["resolution_met_pct"]) == (2, 2, 50.0)
    assert t["breached_tickets"] == 2
    assert t["mtta_s"] == pytest.approx(2760)
    assert t["p90_tta_s"] == pytest.approx(4680)
    assert t["mttr_s"] == pytest.approx(13800)
    assert t["p90_ttr_s"] == pytest.approx(17280)


def test_paused_time_is_left_out(may):
    from reports.models import IncidentFact

    fact = IncidentFact.objects.get(pk=may["A"].pk)
    assert fact.resolution_s == pytest.approx(9000)  # 3.5 h wall time, 1 h of it waiting
    assert fact.resolution_breached_at is None


def test_business_hours_skip_the_holiday(may):
    from reports.models import IncidentFact

    fact = IncidentFact.objects.get(pk=may["C"].pk)
    assert fact.mode == "business"
    # Mon 17:00-18:00 and Wed 09:00-09:30; Tuesday 5 May is Children's Day.
    assert fact.response_s == pytest.approx(5400)
    assert fact.response_breached_at is None
    assert fact.resolution_s == pytest.approx(14400)


def test_a_priority_change_counts_under_the_new_priority_with_its_breach(report, may):
    p1 = next(row for row in report.tables["by_priority"].rows if row["key"] == "P1")
    assert p1["tickets"] == 2  # A, and B which was filed as P3
    assert (p1["response_met"], p1["response_breached"]) == (1, 1)
    assert (p1["resolution_met"], p1["resolution_breached"]) == (1, 1)
    assert p1["mtta_s"] == pytest.approx(1050)
    assert p1["mttr_s"] == pytest.approx(13500)
    assert not any(
        row["key"] == "P3" and row["tickets"] == 2 for row in report.tables["by_priority"].rows
    )


def test_breakdowns_by_priority_team_and_service(report):
    by_priority = {row["key"]: row["tickets"] for row in report.tables["by_priority"].rows}
    assert by_priority == {"P1": 2, "P2": 1, "P3": 1, "P4": 1}
    by_team = {row["key"]: row["tickets"] for row in report.tables["by_team"].rows}
    assert by_team == {"platform-ops": 4, "service-desk": 1}
    by_service = {row["key"]: row["tickets"] for row in report.tables["by_service"].rows}
    assert by_service == {"payments-api": 4, "help-desk": 1}


def test_months_without_incidents_show_zeros(may):
    with time_machine.travel(REPORT_NOW, tick=False):
        report = sla_report(params(**{"from": "2026-03"}))
    months = report.tables["by_month"].rows
    assert [row["month"] for row in months] == ["2026-03-01", "2026-04-01", "2026-05-01"]
    assert [row["tickets"] for row in months] == [0, 0, 5]
    assert months[0]["response_met_pct"] is None  # nothing to divide: no figure, not 0 %


def test_filters_narrow_the_figures(may):
    assert sla_report(params(priority=["P1", "P2"])).totals["tickets"] == 3
    assert sla_report(params(team="service-desk")).totals["tickets"] == 1
    assert sla_report(params(service="help-desk")).totals["tickets"] == 1


def test_a_service_filter_also_counts_incidents_that_only_affected_it(may, world):
    # A (payments) also affected the help desk, whose own incident is C; E, merged, still
    # does not count. The affected services are read at report time, not from the facts.
    may["A"].affected_services.add(world.office)
    may["E"].affected_services.add(world.office)
    report = sla_report(params(service=world.office.slug), by=("priority",))
    assert report.totals["tickets"] == 2
    assert {row["key"]: row["tickets"] for row in report.tables["by_priority"].rows} == {
        "P1": 1,
        "P3": 1,
    }


def test_month_boundaries_follow_the_time_zone(may):
    # C was detected Mon 4 May 17:00 in Seoul: 08:00 UTC, May in both zones. A Seoul
    # incident detected on the 1st at 08:00 would be April in New York.
    with time_machine.travel(REPORT_NOW, tick=False):
        ny = sla_report(params(tz="America/New_York"))
    assert ny.totals["tickets"] == 5
    assert ny.params.start.utcoffset() != params().start.utcoffset()


def test_latest_breaches_link_to_the_sla_history(report, may):
    rows = report.tables["breaches"].rows
    assert [row["incident_id"] for row in rows] == [may["D"].pk, may["B"].pk]
    assert rows[0]["_links"]["reference"] == f"/reports/sla/incidents/{may['D'].pk}/"
