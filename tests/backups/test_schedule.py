"""The portal's schedule and retention: idempotent, and never deleting the last good copy."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from backups import services
from backups.models import BackupPolicy, BackupRun
from backups.services.schedule import runs_past_retention
from tests.backups.factories import BackupPolicyFactory, BackupRunFactory

pytestmark = pytest.mark.django_db
S = BackupRun.Status
H = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _no_portal_schedule():
    BackupPolicy.objects.filter(target__is_portal=True).update(is_active=False)


def test_each_due_slot_gets_one_scheduled_run_however_often_beat_ticks():
    start = timezone.now().replace(microsecond=0)
    policy = BackupPolicyFactory(interval=6 * H, next_run_at=start)
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert len(services.schedule_due_runs()) == 1
        assert services.schedule_due_runs() == []
    run = BackupRun.objects.get()
    assert run.status == S.SCHEDULED and run.scheduled_for == start and run.origin == "schedule"
    policy.refresh_from_db()
    assert policy.next_run_at == start + 6 * H


def test_after_an_outage_one_run_is_scheduled_for_the_latest_slot_not_a_backlog():
    start = timezone.now().replace(microsecond=0)
    policy = BackupPolicyFactory(interval=H, next_run_at=start)
    with time_machine.travel(start + 5 * H + timedelta(minutes=10), tick=False):
        services.schedule_due_runs()
    assert BackupRun.objects.get().scheduled_for == start + 5 * H
    policy.refresh_from_db()
    assert policy.next_run_at == start + 6 * H


def test_policies_on_demand_and_inactive_ones_are_not_scheduled():
    BackupPolicyFactory(interval=None)
    BackupPolicyFactory(is_active=False, next_run_at=timezone.now() - H)
    assert services.schedule_due_runs() == []


def _good_runs(policy, count, *, status=S.VERIFIED, hours_apart=24):
    now = timezone.now()
    return [
        BackupRunFactory(policy=policy, status=status, started_at=now - (i + 1) * hours_apart * H)
        for i in range(count)
    ]


def test_retention_by_generations_expires_the_oldest():
    policy = BackupPolicyFactory(retention_generations=3)
    runs = _good_runs(policy, 5)
    assert runs_past_retention(timezone.now()) == sorted(r.pk for r in runs[3:])
    result = services.enforce_retention()
    assert sorted(result.expired) == sorted(r.pk for r in runs[3:])
    assert set(BackupRun.objects.filter(status=S.EXPIRED).values_list("pk", flat=True)) == {
        r.pk for r in runs[3:]
    }
    assert services.enforce_retention().expired == []


def test_retention_by_days():
    policy = BackupPolicyFactory(retention_generations=None, retention_days=2)
    runs = _good_runs(policy, 4, hours_apart=20)  # 20 h, 40 h, 60 h, 80 h old
    assert runs_past_retention(timezone.now()) == sorted(r.pk for r in runs[2:])


def test_either_rule_keeps_a_run():
    policy = BackupPolicyFactory(retention_generations=1, retention_days=3)
    runs = _good_runs(policy, 4, hours_apart=23)  # 23, 46, 69, 92 h old
    assert runs_past_retention(timezone.now()) == sorted(r.pk for r in runs[3:])


def test_the_newest_verified_backup_of_a_target_is_never_expired():
    policy = BackupPolicyFactory(retention_generations=None, retention_days=1)
    verified = _good_runs(policy, 2, hours_apart=48)
    newer_unverified = BackupRunFactory(
        policy=policy, status=S.SUCCEEDED, started_at=timezone.now() - 30 * H
    )
    expired = runs_past_retention(timezone.now())
    assert verified[0].pk not in expired
    assert set(expired) == {verified[1].pk, newer_unverified.pk}


def test_failed_runs_are_kept_thirty_days_for_the_record():
    policy = BackupPolicyFactory()
    old = BackupRunFactory(policy=policy, status=S.FAILED)
    recent = BackupRunFactory(policy=policy, status=S.FAILED)
    BackupRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    expired = runs_past_retention(timezone.now())
    assert old.pk in expired and recent.pk not in expired


def test_expiring_the_newest_verified_backup_by_hand_moves_the_rpo_deadline(user_for):
    policy = BackupPolicyFactory()
    newest, older = _good_runs(policy, 2)
    from itsm import roles
    from itsm.timers.models import Timer

    services.refresh_rpo(target=policy.target, actor=None, source="web")
    before = Timer.objects.get(kind="backups.rpo", state="armed").due_at
    services.run_expire(
        run_id=newest.pk,
        actor=user_for(roles.OPS_MANAGER),
        source="web",
        reason="copy corrupted on the NAS",
    )
    after = Timer.objects.get(kind="backups.rpo", state="armed").due_at
    assert after == before - 24 * H


def test_the_tick_plans_a_restore_test_for_targets_with_a_cadence():
    policy = BackupPolicyFactory()
    assert services.tick()["drills"] >= 1
    assert policy.target.drills.filter(status="planned").count() == 1
    assert services.tick()["drills"] == 0
