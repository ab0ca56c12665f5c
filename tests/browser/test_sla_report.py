"""Journey (c): a manager opens the SLA report, sees its chart drawn, downloads the CSV."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from reports import facts
from tests.incidents.factories import make_world
from tests.reports.factories import build_may

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
JOURNEY = "sla-report"

# Counts the non-transparent pixels Chart.js painted (null while there is no chart yet).
PAINTED_PIXELS = """(canvas) => {
  const chart = window.Chart && window.Chart.getChart(canvas);
  if (!chart) return null;
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted;
}"""


def test_manager_reads_the_sla_report_and_downloads_its_csv(journey):
    world = make_world()
    build_may(world)  # the hand-computed May 2026 incidents (tests/reports/factories.py)
    facts.rebuild()
    page = journey.page

    journey.login(world.user("manager"))
    page.get_by_role("link", name="Reports", exact=True).click()
    page.locator(".nav-tabs").get_by_role("link", name="SLA", exact=True).click()
    page.locator("#f_from").fill("2026-05")
    page.locator("#f_to").fill("2026-05")
    page.locator(".report-filters").get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"from=2026-05"))

    # Five counted incidents (the merged duplicate is not), 3 of 5 responses in time.
    cards = page.locator(".report-card")
    expect(cards.filter(has_text="Incidents").first.locator(".report-figure")).to_have_text("5")
    expect(cards.filter(has_text="Response met").locator(".report-figure")).to_have_text("60.0 %")

    canvas = page.locator('canvas[data-chart="chart-sla"]')
    expect(canvas).to_be_visible()
    handle = canvas.element_handle()
    page.wait_for_function(f"(canvas) => ({PAINTED_PIXELS})(canvas) > 500", arg=handle)
    chart_type = page.evaluate("(canvas) => window.Chart.getChart(canvas).config.type", handle)
    assert chart_type == "bar"
    journey.shot("sla report with chart")

    section = page.locator("section#by_month")
    with page.expect_download() as download_info:
        section.get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename == "sla-202605-202605-by_month.csv"
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "a UTF-8 BOM, so spreadsheets read CJK text"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, may = rows[0], rows[1]
    assert header[:3] == ["Month", "Incidents", "Response met (%)"]
    assert may[1:3] == ["5", "60.0"]
    journey.shot("csv downloaded")
