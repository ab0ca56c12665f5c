"""Runs are recorded job by job; a failure notifies the administrators and, when the plan
says so, opens an incident; a duplicate delivery or a dead worker is handled once."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from itsm import roles
from itsm.audit import Source
from itsm.errors import Conflict, DomainError
from itsm.timers import services as timers
from maintenance import integration, services
from maintenance.jobs import FAILED, SUCCEEDED, WARNING, JobOutcome
from maintenance.models import JobKind, JobRun, MaintenanceRun, RunTrigger

from .factories import JobFactory, PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins(make_user):
    return [make_user(roles.ADMINISTRATOR, email=f"admin{n}@example.com") for n in range(2)]


@pytest.fixture
def fake_jobs(monkeypatch):
    """Replace the job registry: kind → outcome (or exception)."""
    from maintenance import jobs

    results = {}

    def perform(context):
        result = results.get(context.kind, JobOutcome(SUCCEEDED, f"{context.name} ok"))
        if isinstance(result, Exception):
            raise result
        return result

    monkeypatch.setattr(jobs, "perform", perform)
    monkeypatch.setattr("maintenance.services.runs.perform", perform)
    return results


def queued_run(plan):
    return MaintenanceRun.objects.create(
        plan=plan, trigger=RunTrigger.SCHEDULE, scheduled_for=timezone.now()
    )


def test_every_job_is_recorded_with_times_result_output_and_duration(fake_jobs):
    plan = PlanFactory()
    JobFactory(plan=plan, name="Sessions", kind=JobKind.PURGE_SESSIONS, position=1)
    JobFactory(plan=plan, name="Cache", kind=JobKind.CLEAN_CACHE, position=2)
    JobFactory(plan=plan, name="Off", kind=JobKind.ROTATE_LOGS, position=3, is_active=False)
    fake_jobs[JobKind.CLEAN_CACHE] = JobOutcome(WARNING, "nothing to clean", {"removed": 0})
    run = services.run_execute(run_id=queued_run(plan).pk)
    assert run.status == "warning"
    assert run.started_at and run.finished_at and run.duration is not None
    assert "Cache" in run.summary
    job_runs = list(run.job_runs.order_by("position"))
    assert [(j.name, j.status) for j in job_runs] == [
        ("Sessions", "succeeded"),
        ("Cache", "warning"),
    ]
    assert job_runs[1].output == "nothing to clean" and job_runs[1].details == {"removed": 0}
    assert all(j.started_at and j.finished_at and j.duration is not None for j in job_runs)


def test_a_failed_job_does_not_stop_the_others_and_the_admins_get_one_mail(
    fake_jobs, admins, run_on_commit
):
    plan = PlanFactory(name="Weekly")
    JobFactory(plan=plan, name="Breaks", kind=JobKind.OPTIMISE_DATABASE, position=1)
    JobFactory(plan=plan, name="Runs anyway", kind=JobKind.PURGE_SESSIONS, position=2)
    fake_jobs[JobKind.OPTIMISE_DATABASE] = RuntimeError("disk I/O error")
    run = run_on_commit(services.run_execute, run_id=queued_run(plan).pk)
    assert run.status == "failed"
    statuses = dict(run.job_runs.values_list("name", "status"))
    assert statuses == {"Breaks": "failed", "Runs anyway": "succeeded"}
    assert "disk I/O error" in run.job_runs.get(name="Breaks").output
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["admin0@example.com", "admin1@example.com"]
    assert "Weekly" in message.subject and "disk I/O error" in message.body
    run = MaintenanceRun.objects.get(pk=run.pk)
    assert run.notified_at is not None


def test_a_job_reporting_failure_fails_the_run(fake_jobs, admins, run_on_commit):
    plan = PlanFactory()
    JobFactory(plan=plan, kind=JobKind.VERIFY_BACKUP)
    fake_jobs[JobKind.VERIFY_BACKUP] = JobOutcome(FAILED, "No backup found")
    run = run_on_commit(services.run_execute, run_id=queued_run(plan).pk)
    assert run.status == "failed" and len(mail.outbox) == 1


def test_a_failure_opens_an_incident_when_the_plan_says_so(
    fake_jobs, admins, run_on_commit, monkeypatch
):
    opened = []

    def open_incident(**kwargs):
        opened.append(kwargs)
        return "INC-42"

    monkeypatch.setattr(integration, "open_incident", open_incident)
    plan = PlanFactory(open_incident_on_failure=True)
    JobFactory(plan=plan, kind=JobKind.VERIFY_BACKUP)
    fake_jobs[JobKind.VERIFY_BACKUP] = JobOutcome(FAILED, "stale")
    run = run_on_commit(services.run_execute, run_id=queued_run(plan).pk)
    assert run.incident_reference == "INC-42"
    assert len(opened) == 1 and plan.name in opened[0]["title"]


def test_no_incident_when_the_plan_does_not_ask(fake_jobs, admins, monkeypatch):
    monkeypatch.setattr(integration, "open_incident", lambda **kw: pytest.fail("opened"))
    plan = PlanFactory(open_incident_on_failure=False)
    JobFactory(plan=plan, kind=JobKind.VERIFY_BACKUP)
    fake_jobs[JobKind.VERIFY_BACKUP] = JobOutcome(FAILED, "stale")
    assert services.run_execute(run_id=queued_run(plan).pk).incident_reference == ""


def test_a_plan_without_an_incident_service_says_why_no_incident_was_opened(
    fake_jobs, admins, run_on_commit
):
    plan = PlanFactory(open_incident_on_failure=True)
    JobFactory(plan=plan, kind=JobKind.VERIFY_BACKUP)
    fake_jobs[JobKind.VERIFY_BACKUP] = JobOutcome(FAILED, "stale")
    run = run_on_commit(services.run_execute, run_id=queued_run(plan).pk)
    assert run.incident_reference == ""
    assert "No incident was opened" in run.summary
    assert len(mail.outbox) == 1  # the administrators are told all the same


def test_a_second_delivery_of_the_task_does_nothing(fake_jobs):
    plan = PlanFactory()
    JobFactory(plan=plan)
    run = queued_run(plan)
    assert services.run_execute(run_id=run.pk).status == "succeeded"
    assert services.run_execute(run_id=run.pk) is None
    assert JobRun.objects.filter(run=run).count() == 1


def test_a_run_that_outlives_its_deadline_is_failed_and_reported(fake_jobs, admins, run_on_commit):
    plan = PlanFactory(max_duration=timedelta(minutes=30))
    JobFactory(plan=plan)
    run = services.run_start(run_id=queued_run(plan).pk)  # the worker died after this
    assert run.status == "running"
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert run_on_commit(timers.sweep).fired == 1
    run = MaintenanceRun.objects.get(pk=run.pk)
    assert run.status == "failed" and "did not finish" in run.summary
    assert run.job_runs.get().status == "failed"
    assert len(mail.outbox) == 1
    assert services.run_finish(run_id=run.pk).status == "failed"  # a late worker changes nothing


def test_a_finished_run_cancels_its_deadline(fake_jobs):
    from itsm.timers.models import Timer

    plan = PlanFactory()
    JobFactory(plan=plan)
    run = services.run_execute(run_id=queued_run(plan).pk)
    assert not Timer.objects.filter(object_id=str(run.pk), state="armed").exists()


def test_run_now_queues_a_manual_run_and_refuses_a_second(user_for, fake_jobs):
    admin = user_for(roles.ADMINISTRATOR)
    plan = PlanFactory()
    JobFactory(plan=plan)
    run = services.plan_run_now(plan_id=plan.pk, actor=admin, source=Source.WEB)
    assert (run.trigger, run.requested_by) == (RunTrigger.MANUAL, admin)
    with pytest.raises(Conflict):
        services.plan_run_now(plan_id=plan.pk, actor=admin, source=Source.WEB)


def test_run_now_of_a_plan_without_jobs_is_refused(user_for):
    plan = PlanFactory()
    with pytest.raises(DomainError):
        services.plan_run_now(
            plan_id=plan.pk, actor=user_for(roles.ADMINISTRATOR), source=Source.WEB
        )


def test_real_jobs_end_to_end_through_the_eager_task(user_for, var_dir, run_on_commit):
    """Run now → task → real built-in jobs → recorded results."""
    plan = PlanFactory()
    for position, kind in enumerate(
        [JobKind.PURGE_SESSIONS, JobKind.CLEAN_CACHE, JobKind.CLEAN_TEMP_FILES,
         JobKind.ROTATE_LOGS, JobKind.OPTIMISE_DATABASE, JobKind.REBUILD_INDEXES,
         JobKind.CAPACITY_REPORT]
    ):  # fmt: skip
        JobFactory(plan=plan, kind=kind, name=kind, position=position)
    run = run_on_commit(
        services.plan_run_now, plan_id=plan.pk, actor=user_for(roles.ADMINISTRATOR), source="web"
    )
    run = MaintenanceRun.objects.get(pk=run.pk)
    outputs = dict(run.job_runs.values_list("kind", "status"))
    assert set(outputs.values()) <= {"succeeded", "warning"}, run.job_runs.values("kind", "output")
    assert run.status in {"succeeded", "warning"} and run.duration is not None
