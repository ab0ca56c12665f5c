"""Maintenance through the real changes and incidents apps: standard changes from a
template in the maintenance window, incidents for failed runs."""

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
import time_machine
from django.utils import timezone

from changes.models import Change
from incidents.models import Incident
from itsm import roles
from itsm.audit import Source
from itsm.errors import DomainError
from maintenance import services
from maintenance.jobs import FAILED, JobOutcome
from maintenance.models import JobKind, MaintenanceRun, RunTrigger
from tests.changes.factories import FreezeFactory, TemplateFactory, WindowFactory
from tests.itsm.factories import ServiceFactory, TeamFactory

from .factories import JobFactory, PlanFactory

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 5, 11, 2, 0, tzinfo=UTC)
SUNDAY_17 = datetime(2026, 5, 17, 1, 0, tzinfo=UTC)


@pytest.fixture
def operated():
    team = TeamFactory(name="Platform", slug="platform")
    service = ServiceFactory(name="Linux hosts", slug="linux", owner_team=team)
    template = TemplateFactory(name="Monthly OS patch", services=[service])
    window = WindowFactory(
        name="Sunday early morning",
        start=datetime(2026, 5, 3, 1, 0, tzinfo=UTC),
        end=datetime(2026, 5, 3, 5, 0, tzinfo=UTC),
        recurrence="weekly",
    )
    return {"team": team, "service": service, "template": template, "window": window}


def run_patch_job(operated, *, now=MONDAY, **job_fields):
    plan = PlanFactory(window=job_fields.pop("window", None))
    job = JobFactory(
        plan=plan,
        name="Security patches",
        kind=JobKind.STANDARD_CHANGE,
        change_template=operated["template"],
        **job_fields,
    )
    job.services.set([operated["service"]])
    run = MaintenanceRun.objects.create(plan=plan, trigger=RunTrigger.SCHEDULE, scheduled_for=now)
    with time_machine.travel(now, tick=False):
        services.run_execute(run_id=run.pk)
    return MaintenanceRun.objects.get(pk=run.pk).job_runs.get()


def test_a_standard_change_is_created_from_the_template_in_the_next_window(operated):
    job_run = run_patch_job(operated)
    assert job_run.status == "succeeded", job_run.output
    change = Change.objects.get(pk=job_run.details["change_id"])
    assert change.template == operated["template"] and change.change_class == "standard"
    assert change.status == "approved"  # pre-approved by the template, per the class policy
    assert (change.planned_start, change.planned_end) == (SUNDAY_17, SUNDAY_17 + timedelta(hours=4))
    assert change.owner_team == operated["team"]  # its checklist goes to the owning team
    assert change.checklist_items.exists()
    assert change.requester.username == "maintenance"
    assert change.reference in job_run.output


def test_the_change_duration_can_be_shorter_than_the_window(operated):
    job_run = run_patch_job(operated, parameters={"duration_minutes": 90})
    change = Change.objects.get(pk=job_run.details["change_id"])
    assert change.planned_end - change.planned_start == timedelta(minutes=90)


def test_a_freeze_pushes_the_change_to_the_next_window(operated):
    FreezeFactory(start=SUNDAY_17 - timedelta(days=1), end=SUNDAY_17 + timedelta(days=1))
    job_run = run_patch_job(operated)
    change = Change.objects.get(pk=job_run.details["change_id"])
    assert change.planned_start == SUNDAY_17 + timedelta(weeks=1)


def test_the_plans_own_window_is_used_when_it_names_one(operated):
    tuesday = WindowFactory(
        name="Tuesday night",
        start=datetime(2026, 5, 5, 15, 0, tzinfo=UTC),
        end=datetime(2026, 5, 5, 17, 0, tzinfo=UTC),
        recurrence="weekly",
    )
    job_run = run_patch_job(operated)  # without a window: the earliest, Tuesday 12th
    assert Change.objects.get(pk=job_run.details["change_id"]).planned_start.day == 12
    job_run = run_patch_job(operated, window=operated["window"])
    assert Change.objects.get(pk=job_run.details["change_id"]).planned_start == SUNDAY_17
    assert tuesday.pk != operated["window"].pk


def test_no_window_covering_the_service_fails_the_job_with_a_reason(operated):
    operated["window"].services.set([ServiceFactory()])
    job_run = run_patch_job(operated)
    assert job_run.status == FAILED
    assert "Linux hosts" in job_run.output
    assert not Change.objects.exists()


def test_a_retired_template_fails_the_job_with_the_changes_apps_message(operated):
    from changes.models import StandardTemplate

    StandardTemplate.objects.filter(pk=operated["template"].pk).update(status="retired")
    job_run = run_patch_job(operated)
    assert job_run.status == FAILED and "approved template" in job_run.output


def test_a_failed_run_opens_a_p3_incident_on_the_plans_service(monkeypatch, make_user):
    make_user(roles.ADMINISTRATOR, email="root@example.com")
    service = ServiceFactory(name="ITSM portal", slug="itsm")
    plan = PlanFactory(name="Nightly checks", open_incident_on_failure=True,
                       incident_service=service)  # fmt: skip
    JobFactory(plan=plan, kind=JobKind.VERIFY_BACKUP)
    monkeypatch.setattr(
        "maintenance.services.runs.perform", lambda ctx: JobOutcome(FAILED, "No backup found")
    )
    run = MaintenanceRun.objects.create(
        plan=plan, trigger=RunTrigger.SCHEDULE, scheduled_for=MONDAY
    )
    run = services.run_execute(run_id=run.pk)
    incident = Incident.objects.get()
    assert run.incident_reference == incident.reference
    assert incident.service == service and incident.priority == "P3"
    assert "Nightly checks" in incident.title
    assert "job failed" in incident.description


def test_a_plan_that_opens_incidents_must_name_a_service(user_for):
    with pytest.raises(DomainError):
        services.plan_create(
            actor=user_for(roles.ADMINISTRATOR),
            source=Source.WEB,
            name="No service",
            schedule="0 3 * * *",
            open_incident_on_failure=True,
        )


def test_the_plan_list_shows_the_coming_windows_and_freezes(client, user_for, operated):
    FreezeFactory(name="Year-end freeze", start=timezone.now() + timedelta(days=3))
    client.force_login(user_for(roles.OPS_MANAGER))
    html = client.get("/maintenance/").content.decode()
    assert "Sunday early morning" in html and "Year-end freeze" in html


def test_a_job_refuses_a_template_that_is_not_approved(user_for, operated):
    proposed = TemplateFactory(status="proposed")
    plan = PlanFactory()
    admin = user_for(roles.ADMINISTRATOR)
    add = partial(services.job_add, plan_id=plan.pk, actor=admin, source=Source.API,
                  name="Patch", kind=JobKind.STANDARD_CHANGE)  # fmt: skip
    with pytest.raises(DomainError):
        add(change_template=proposed)
    job = add(change_template=operated["template"])
    assert job.change_template == operated["template"]
