"""Grouped report figures: one statement for several breakdowns, months by the report's zone,
p90 per month only for short periods, the dashboard's week in the report's zone."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Avg, Count
from django.test.utils import CaptureQueriesContext

from reports import facts, grouping
from reports.db import PercentileCont
from reports.params import ReportFilterForm
from reports.selectors.common import incident_facts
from reports.selectors.dashboard import dashboard
from reports.selectors.sla import PERCENTILES, sla_figures, sla_report
from tests.changes.factories import ChangeFactory
from tests.incidents.factories import report

from .factories import MAY, REPORT_NOW

UTC = dt.UTC
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def params(**extra):
    form = ReportFilterForm({**MAY, **extra})
    assert form.is_valid(), form.errors
    return form.params()


def test_one_statement_gives_every_breakdown_as_the_orm_would(may):
    p = params()
    with CaptureQueriesContext(connection) as captured:
        found = sla_figures(p, by=("priority", "team", "service"))
    assert len(captured.captured_queries) == 1
    base = incident_facts(p)
    expected = {
        row["priority"]: row
        for row in base.values("priority").annotate(
            tickets=Count("pk"),
            mtta_s=Avg("response_s"),
            p90_ttr_s=PercentileCont("resolution_s", 0.9),
        )
    }
    assert {row["priority"] for row in found["by_priority"]} == set(expected)
    for row in found["by_priority"]:
        want = expected[row["priority"]]
        assert row["tickets"] == want["tickets"]
        assert row["mtta_s"] == pytest.approx(want["mtta_s"])
        assert row["p90_ttr_s"] == pytest.approx(want["p90_ttr_s"], nan_ok=True)
    assert sum(row["tickets"] for row in found["by_team"]) == 5
    assert sum(row["tickets"] for row in found["by_service"]) == 5
    (totals,) = found["totals"]
    assert totals["tickets"] == 5 and totals["p90_tta_s"] == pytest.approx(4680)


def test_a_grouping_without_rows_still_has_its_totals_row(world):
    rows = incident_facts(params()).values("priority", "response_s")
    found = grouping.grouped(
        rows,
        grouping.Grouping(
            {"totals": (), "by_priority": ("priority",)},
            {"n": grouping.count(), "p90": grouping.percentile("response_s", 0.9)},
        ),
    )
    assert found == {"totals": [{"n": 0, "p90": None}], "by_priority": []}


def test_a_year_keeps_p90_for_the_period_and_breakdowns_not_per_month(may):
    with time_machine.travel(REPORT_NOW, tick=False):
        year = sla_report(params(**{"from": "2025-06"}), by=("priority",))
    assert year.totals["p90_tta_s"] == pytest.approx(4680)
    p1 = next(row for row in year.tables["by_priority"].rows if row["key"] == "P1")
    assert p1["p90_tta_s"] is not None
    months = year.tables["by_month"]
    assert len(months.rows) == 12 and months.rows[-1]["tickets"] == 5
    assert months.rows[-1]["mtta_s"] == pytest.approx(2760)
    assert all(row["p90_tta_s"] is None for row in months.rows)
    assert not {c.key for c in months.columns} & set(PERCENTILES)
    assert months.note
    with time_machine.travel(REPORT_NOW, tick=False):
        quarter = sla_report(params(**{"from": "2026-03"}))
    assert quarter.tables["by_month"].rows[-1]["p90_tta_s"] == pytest.approx(4680)


@pytest.mark.parametrize("zone,month", [("Asia/Seoul", "2026-05-01"), ("UTC", "2026-04-01")])
def test_months_start_at_midnight_in_the_report_zone(world, zone, month):
    # 1 May 00:30 in Seoul is still 30 April in UTC.
    with time_machine.travel(dt.datetime(2026, 4, 30, 15, 30, tzinfo=UTC), tick=False):
        report(world, priority="P3")
    facts.rebuild()
    p = params(**{"from": "2026-04", "to": "2026-05", "tz": zone})
    found = sla_figures(p)
    counted = {p.months[row["month"]].isoformat(): row["tickets"] for row in found["by_month"]}
    assert counted == {month: 1}


def test_changes_this_week_run_monday_to_monday_in_the_report_zone(world):
    def planned(when, status):
        return ChangeFactory(
            owner_team=world.team, services=[world.always], planned_start=when, status=status
        )

    # REPORT_NOW is Tuesday 19 May 23:00 in New York: its week is Mon 18 – Sun 24 May there.
    planned(dt.datetime(2026, 5, 18, 0, 30, tzinfo=NEW_YORK), "scheduled")  # Monday morning
    planned(dt.datetime(2026, 5, 24, 23, 30, tzinfo=NEW_YORK), "implementing")  # Sunday night
    planned(dt.datetime(2026, 5, 17, 23, 30, tzinfo=NEW_YORK), "closed")  # the Sunday before
    planned(dt.datetime(2026, 5, 25, 0, 30, tzinfo=NEW_YORK), "failed")  # next Monday
    board = dashboard(params(tz="America/New_York"), now=REPORT_NOW)
    assert board.figures["changes_this_week"] == 2
    assert {row["key"]: row["count"] for row in board.week} == {
        "planned": 1,
        "running": 1,
        "successful": 0,
        "failed": 0,
    }
    assert board.figures["week"] == {
        "first_day": dt.date(2026, 5, 18),
        "last_day": dt.date(2026, 5, 24),
    }
