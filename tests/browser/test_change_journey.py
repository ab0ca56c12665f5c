"""Journey (a): a requester files a NORMAL change in the browser form; the ops manager
assesses, approves and schedules it; the implementer runs the pre-checks, confirms the
backup, implements and verifies it inside its window; the requester closes it.

A normal change needs three business days between submission and the planned start, and
starts only inside its window, so the window is a week ahead and the clock travels forward
to it (time-machine moves the live server's clock too: it runs in this process)."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from changes.models import Change
from itsm import roles
from itsm.business_time import add_business_days
from itsm.models import BusinessCalendar
from tests.changes.factories import role_user
from tests.itsm.factories import ServiceFactory, TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
JOURNEY = "normal-change"
LOCAL = "%Y-%m-%dT%H:%M"  # what a datetime-local input takes


def window_after_lead_time(calendar: BusinessCalendar) -> tuple[dt.datetime, dt.datetime]:
    """10:00-12:00 local on the day after the lead time ends (weekends and holidays skipped)."""
    zone = calendar.spec().zone
    earliest = add_business_days(calendar.spec(), timezone.now(), 4).astimezone(zone)
    start = earliest.replace(hour=10, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(hours=2)


def tick_all(page, kind: str) -> None:
    """Mark every check of one checklist as passed: one form per item, each a page load."""
    forms = page.locator(f"#checks form[data-kind='{kind}']")
    count = forms.count()
    assert count > 0, f"no {kind} checks to tick"
    for index in range(count):
        form = forms.nth(index)
        form.locator("select[name=result]").select_option("passed")
        form.get_by_role("button", name="Save").click()
        # The badge in the item's row changes only once the reloaded page is there.
        badge = forms.nth(index).locator("xpath=ancestor::tr").locator(".badge")
        expect(badge).to_have_text("Passed")


def test_a_normal_change_from_the_form_to_closed(journey):
    calendar = BusinessCalendar.objects.get(country="KR")
    team = TeamFactory(name="Platform Ops", slug="platform-ops", calendar=calendar)
    ServiceFactory(name="Payments API", slug="payments-api", owner_team=team)
    requester = role_user(roles.REQUESTER, username="requester", time_zone="Asia/Seoul")
    implementer = role_user(roles.ONCALL, username="implementer", time_zone="Asia/Seoul")
    manager = role_user(roles.OPS_MANAGER, username="opsmanager", time_zone="Asia/Seoul")
    start, end = window_after_lead_time(calendar)
    page = journey.page

    # The requester files and submits the change.
    journey.login(requester)
    # (crispy marks required labels with "*", so the form's fields are found by id)
    page.get_by_role("link", name="Changes", exact=True).click()
    page.get_by_role("link", name="New change").click()
    page.locator("#id_title").fill("Upgrade the payments database driver")
    expect(page.locator("#id_change_class")).to_have_value("normal")
    page.locator("#id_owner_team").select_option(label="Platform Ops")
    page.locator("#id_implementer").select_option(label="implementer")
    page.locator("#id_services").select_option(label="Payments API")
    page.locator("#id_execution_plan").fill("1. Drain one node\n2. Upgrade\n3. Repeat")
    page.locator("#id_rollback_plan").fill("Reinstall the previous driver package.")
    page.locator("#id_backup_plan").fill("Snapshot the database volume first.")
    page.locator("#id_planned_start").fill(start.strftime(LOCAL))
    page.locator("#id_planned_end").fill(end.strftime(LOCAL))
    journey.shot("change form filled")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".alert-success")).to_contain_text("Draft CHG-")
    change = Change.objects.get()
    page.locator("#decide").get_by_role("button", name="Submit").click()
    expect(page.locator(".alert-success")).to_contain_text("Submit: done.")
    expect(page.locator("h1 ~ .badge, .badge").filter(has_text="Submitted").first).to_be_visible()
    journey.shot("submitted")

    # The ops manager confirms the assessment, routes it to approval, approves, schedules.
    journey.as_user(manager)
    page = journey.page
    page.goto(change.get_absolute_url())
    decide = page.locator("#decide")
    decide.get_by_role("button", name="Confirm assessment").click()
    decide.locator("#act-assess").get_by_role("button", name="Confirm assessment").click()
    expect(page.locator(".alert-success")).to_contain_text("Confirm assessment: done.")
    decide.get_by_role("button", name="Request approval").click()
    expect(page.locator(".alert-success")).to_contain_text("Request approval: done.")
    decide.get_by_role("button", name="Approve").click()
    decide.locator("#act-approve textarea").fill("Low risk, tested in staging.")
    decide.locator("#act-approve").get_by_role("button", name="Approve").click()
    expect(page.locator(".alert-success")).to_contain_text("Approve: done.")
    journey.shot("approved")
    decide.get_by_role("button", name="Schedule").click()
    schedule = decide.locator("#act-schedule")
    expect(schedule.get_by_label("Planned start")).to_have_value(start.strftime(LOCAL))
    schedule.get_by_role("button", name="Schedule").click()
    expect(page.locator(".alert-success")).to_contain_text("Schedule: done.")
    journey.shot("scheduled")

    # The implementer runs the pre-checks and confirms the backup before the window.
    journey.as_user(implementer)
    page = journey.page
    page.goto(change.get_absolute_url())
    tick_all(page, "precheck")
    page.get_by_placeholder("Backup reference (job id, snapshot)").fill("snap-2026-payments-01")
    page.get_by_role("button", name="Confirm backup").click()
    expect(page.locator(".alert-success")).to_contain_text("Backup confirmed.")
    journey.shot("prechecks passed and backup confirmed")

    # The window opens: forward in time (sessions last 12 hours, so everyone logs in again).
    with time_machine.travel(start + dt.timedelta(minutes=5), tick=True):
        journey.as_user(implementer)
        page = journey.page
        page.goto(change.get_absolute_url())
        decide = page.locator("#decide")
        decide.get_by_role("button", name="Start implementation").click()  # confirms
        expect(page.locator(".alert-success")).to_contain_text("Start implementation: done.")
        decide.get_by_role("button", name="Implementation done").click()
        decide.locator("#act-finish textarea").fill("Upgraded both nodes; no errors.")
        decide.locator("#act-finish").get_by_role("button", name="Implementation done").click()
        expect(page.locator(".alert-success")).to_contain_text("Implementation done: done.")
        journey.shot("implemented")
        tick_all(page, "verification")
        decide.get_by_role("button", name="Verification passed").click()
        decide.locator("#act-verify textarea").fill("Payments succeed; p95 latency unchanged.")
        decide.locator("#act-verify").get_by_role("button", name="Verification passed").click()
        expect(page.locator(".alert-success")).to_contain_text("Verification passed: done.")
        journey.shot("verified")

        # A normal change needs no review: the requester closes the completed change.
        journey.as_user(requester)
        page = journey.page
        page.goto(change.get_absolute_url())
        decide = page.locator("#decide")
        decide.get_by_role("button", name="Close").click()
        decide.locator("#act-close").get_by_role("button", name="Close").click()
        expect(page.locator(".alert-success")).to_contain_text("Close: done.")
        expect(page.locator("#timeline")).to_contain_text("Completed → Closed")
        journey.shot("closed")

    change.refresh_from_db()
    assert change.status == "closed"
    assert change.approvals.get().approver == manager
    assert change.started_at >= start
