"""Plans are driven by itsm.timers: armed at the next occurrence, re-armed on edit, a run
missed while the portal was down caught up once, never repeated."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from itsm import roles
from itsm.audit import Source
from itsm.models import AuditEvent
from itsm.timers import services as timers
from itsm.timers.models import Timer
from maintenance import services
from maintenance.models import MaintenancePlan, MaintenanceRun, RunTrigger
from maintenance.services._base import PLAN_TIMER
from maintenance.timer_handlers import run_plan

from .factories import JobFactory, PlanFactory

pytestmark = pytest.mark.django_db
# Wednesday 2026-05-13 12:00 in Seoul.
NOON_SEOUL = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)
THREE_AM_SEOUL_14TH = datetime(2026, 5, 13, 18, 0, tzinfo=UTC)


def armed(plan):
    return Timer.objects.filter(object_id=str(plan.pk), kind=PLAN_TIMER, state="armed")


def make_plan(user_for, **fields):
    admin = user_for(roles.ADMINISTRATOR)
    fields.setdefault("name", "Nightly")
    fields.setdefault("schedule", "0 3 * * *")
    fields.setdefault("time_zone", "Asia/Seoul")
    plan = services.plan_create(actor=admin, source=Source.WEB, **fields)
    JobFactory(plan=plan)
    return plan


@time_machine.travel(NOON_SEOUL, tick=False)
def test_creating_a_plan_arms_its_timer_at_the_next_occurrence(user_for):
    plan = make_plan(user_for)
    assert plan.next_run_at == THREE_AM_SEOUL_14TH
    assert armed(plan).get().due_at == THREE_AM_SEOUL_14TH


def test_a_due_plan_records_one_run_rearms_and_queues_its_jobs(user_for, run_on_commit):
    with time_machine.travel(NOON_SEOUL, tick=False):
        plan = make_plan(user_for)
    with time_machine.travel(THREE_AM_SEOUL_14TH + timedelta(seconds=20), tick=False):
        result = run_on_commit(timers.sweep)
    assert result.fired == 1
    run = MaintenanceRun.objects.get(plan=plan)
    assert run.trigger == RunTrigger.SCHEDULE
    assert run.scheduled_for == THREE_AM_SEOUL_14TH
    assert run.status == "succeeded"  # eager Celery ran the jobs on commit
    plan.refresh_from_db()
    assert plan.next_run_at == THREE_AM_SEOUL_14TH + timedelta(days=1)
    assert armed(plan).get().due_at == plan.next_run_at


def test_a_run_missed_while_the_portal_was_down_is_caught_up_once(user_for, run_on_commit):
    with time_machine.travel(NOON_SEOUL, tick=False):
        plan = make_plan(user_for)
    # Down for three days and a bit: occurrences on the 14th, 15th and 16th were missed.
    back = THREE_AM_SEOUL_14TH + timedelta(days=2, hours=5)
    with time_machine.travel(back, tick=False):
        assert run_on_commit(timers.sweep).fired == 1
        assert run_on_commit(timers.sweep).fired == 0
    runs = MaintenanceRun.objects.filter(plan=plan)
    assert runs.count() == 1
    assert runs.get().trigger == RunTrigger.CATCH_UP
    assert runs.get().scheduled_for == THREE_AM_SEOUL_14TH
    plan.refresh_from_db()
    # The next run is the next occurrence after now, not the missed 15th or 16th.
    assert plan.next_run_at == THREE_AM_SEOUL_14TH + timedelta(days=3)
    assert AuditEvent.objects.for_object(plan).filter(action="run caught up").count() == 1
    with time_machine.travel(plan.next_run_at + timedelta(seconds=5), tick=False):
        run_on_commit(timers.sweep)
    assert list(runs.order_by("scheduled_for").values_list("trigger", flat=True)) == [
        RunTrigger.CATCH_UP,
        RunTrigger.SCHEDULE,
    ]


def test_the_handler_twice_for_one_occurrence_gives_one_run(user_for):
    with time_machine.travel(NOON_SEOUL, tick=False):
        plan = make_plan(user_for)
    timer = armed(plan).get()
    with time_machine.travel(timer.due_at + timedelta(seconds=1), tick=False):
        timer.state = Timer.State.FIRED
        timer.save()
        run_plan(timer, now=timer.due_at + timedelta(seconds=1))
        run_plan(timer, now=timer.due_at + timedelta(seconds=2))
    assert MaintenanceRun.objects.filter(plan=plan).count() == 1
    assert armed(plan).count() == 1


def test_a_stale_timer_token_does_nothing(user_for):
    with time_machine.travel(NOON_SEOUL, tick=False):
        plan = make_plan(user_for)
        old = armed(plan).get()
        old_token = str(old.token)
        services.plan_update(
            plan_id=plan.pk, actor=user_for(roles.ADMINISTRATOR), source="web", schedule="0 4 * * *"
        )
    with time_machine.travel(THREE_AM_SEOUL_14TH + timedelta(hours=2), tick=False):
        assert timers.timer_fire_one(timer_id=old.pk, token=old_token) is False
    assert not MaintenanceRun.objects.filter(plan=plan).exists()


@time_machine.travel(NOON_SEOUL, tick=False)
def test_editing_the_schedule_rearms_at_once_without_a_restart(user_for):
    plan = make_plan(user_for)
    admin = user_for(roles.ADMINISTRATOR)
    services.plan_update(plan_id=plan.pk, actor=admin, source="web", schedule="0 1 * * 0")
    plan.refresh_from_db()
    sunday = datetime(2026, 5, 16, 16, 0, tzinfo=UTC)  # Sunday 17th 01:00 in Seoul
    assert plan.next_run_at == sunday
    assert armed(plan).count() == 1 and armed(plan).get().due_at == sunday
    services.plan_update(plan_id=plan.pk, actor=admin, source="web", time_zone="UTC")
    plan.refresh_from_db()
    assert plan.next_run_at == datetime(2026, 5, 17, 1, 0, tzinfo=UTC)
    event = AuditEvent.objects.for_object(plan).filter(action="plan updated").last()
    assert event.payload == {"time_zone": "Asia/Seoul"}


@time_machine.travel(NOON_SEOUL, tick=False)
def test_pausing_cancels_the_timer_and_resuming_arms_the_next_occurrence(user_for):
    plan = make_plan(user_for)
    admin = user_for(roles.ADMINISTRATOR)
    services.plan_set_active(plan_id=plan.pk, actor=admin, source="web", active=False)
    plan.refresh_from_db()
    assert plan.next_run_at is None and not armed(plan).exists()
    services.plan_set_active(plan_id=plan.pk, actor=admin, source="web", active=True)
    plan.refresh_from_db()
    assert armed(plan).get().due_at == THREE_AM_SEOUL_14TH


def test_a_paused_plan_whose_timer_still_fires_records_nothing():
    plan = PlanFactory(is_active=False)
    assert services.plan_fire(plan_id=plan.pk, due_at=NOON_SEOUL, now=NOON_SEOUL) is None
    assert not MaintenanceRun.objects.exists()


def test_ensure_armed_arms_plans_without_a_timer_and_catches_up_a_passed_one(run_on_commit):
    MaintenancePlan.objects.update(is_active=False)  # the migration's plans stay out of this
    fresh = PlanFactory(schedule="0 3 * * *", time_zone="Asia/Seoul")
    JobFactory(plan=fresh)
    missed = PlanFactory(schedule="0 1 * * 0", time_zone="UTC", next_run_at=NOON_SEOUL)
    JobFactory(plan=missed)
    paused = PlanFactory(is_active=False)
    with time_machine.travel(NOON_SEOUL + timedelta(days=1), tick=False):
        assert services.plans_ensure_armed() == 2
        assert services.plans_ensure_armed() == 0
        assert not armed(paused).exists()
        assert armed(missed).get().due_at == NOON_SEOUL
        run_on_commit(timers.sweep)
    assert MaintenanceRun.objects.get(plan=missed).trigger == RunTrigger.CATCH_UP
    assert not MaintenanceRun.objects.filter(plan=fresh).exists()


def test_the_default_plans_of_domain_md_come_with_the_migration():
    plans = {p.name: p for p in MaintenancePlan.objects.prefetch_related("jobs")}
    expected = {
        "Daily housekeeping": ("0 3 * * *", {"rotate_logs", "clean_cache", "clean_temp_files"}),
        "Weekly database care": (
            "0 1 * * 0",
            {"optimise_database", "rebuild_indexes", "verify_backup"},
        ),
        "Monthly review": ("0 0 1 * *", {"capacity_report", "standard_change"}),
        "Weekly update review": ("0 2 * * 1", {"pending_updates"}),
    }
    for name, (schedule, kinds) in expected.items():
        assert plans[name].schedule == schedule
        assert kinds <= {job.kind for job in plans[name].jobs.all()}
    security = plans["Monthly review"].jobs.get(kind="standard_change")
    assert not security.is_active  # waits for an administrator to choose a template
