"""Races that matter, on PostgreSQL with real threads: one run per occurrence, one execution
per run, however many sweepers and task deliveries arrive at once."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from itsm.timers import services as timers
from maintenance import services
from maintenance.models import JobRun, MaintenanceRun, RunTrigger

from .factories import JobFactory, PlanFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(target, n=4):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_concurrent_deliveries_of_one_run_execute_it_once():
    plan = PlanFactory()
    JobFactory(plan=plan)
    run = MaintenanceRun.objects.create(
        plan=plan, trigger=RunTrigger.SCHEDULE, scheduled_for=timezone.now()
    )
    results = race(lambda: services.run_execute(run_id=run.pk))
    assert sum(1 for r in results if r is not None) == 1
    assert JobRun.objects.filter(run=run).count() == 1
    assert MaintenanceRun.objects.get(pk=run.pk).status == "succeeded"


def test_concurrent_fires_of_one_occurrence_record_one_run():
    plan = PlanFactory()
    due = timezone.now().replace(microsecond=0)

    def fire():
        with transaction.atomic():  # as inside the sweep
            return services.plan_fire(plan_id=plan.pk, due_at=due, now=due)

    results = race(fire)
    assert sum(1 for r in results if r is not None) == 1
    assert MaintenanceRun.objects.filter(plan=plan).count() == 1


def test_racing_sweepers_after_downtime_catch_the_plan_up_once():
    plan = PlanFactory(schedule="0 3 * * *", time_zone="UTC")
    JobFactory(plan=plan)
    services.plans_ensure_armed()
    later = timezone.now() + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        fired = race(lambda: timers.sweep().fired)
    assert sum(fired) >= 1
    runs = MaintenanceRun.objects.filter(plan=plan)
    assert runs.count() == 1 and runs.get().trigger == RunTrigger.CATCH_UP
