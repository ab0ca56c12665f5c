"""RPO compliance: one timer per target, one alert per breach; failed runs alert too."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from backups import selectors, services
from backups.alerts import ALERT_ACTION, raise_alert
from backups.models import BackupRun, BackupTarget
from backups.services.compliance import TIMER_RPO, rpo_check
from itsm import roles
from itsm.models import AuditEvent
from itsm.timers import services as timers
from itsm.timers.models import Timer
from tests.backups.factories import BackupPolicyFactory, BackupRunFactory, BackupTargetFactory

pytestmark = pytest.mark.django_db
S = BackupRun.Status
H = timedelta(hours=1)


def alerts_of(obj):
    return AuditEvent.objects.for_object(obj).filter(action=ALERT_ACTION)


def compliance(target, now):
    return selectors.with_compliance(BackupTarget.objects.filter(pk=target.pk), now).get()


@pytest.fixture
def admins(make_user):
    return [make_user(roles.ADMINISTRATOR, email=f"admin{i}@example.com") for i in range(2)]


def verified_backup(policy, at, job):
    with time_machine.travel(at, tick=False):
        run, *_ = services.run_report(
            actor=None,
            source="api",
            target=policy.target.slug,
            external_id=job,
            status="verified",
            started_at=at,
        )
    return run


def test_rpo_breach_raises_exactly_one_alert(
    admins, mailoutbox, alerts_seen, django_capture_on_commit_callbacks
):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        policy = BackupPolicyFactory(target=BackupTargetFactory(rpo=6 * H, created_at=start))
    with django_capture_on_commit_callbacks(execute=True):
        verified_backup(policy, start, "job-1")
    target = policy.target
    timer = Timer.objects.get(kind=TIMER_RPO, state="armed")
    assert timer.due_at == start + 6 * H

    with time_machine.travel(start + 5 * H, tick=False):  # at risk, not breached
        assert timers.sweep().fired == 0
        assert compliance(target, timezone.now()).compliance == "at_risk"
    with time_machine.travel(start + 6 * H + timedelta(seconds=20), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert timers.sweep().fired == 1
            assert timers.sweep().fired == 0
            assert rpo_check(target_id=target.pk, now=timezone.now()) is False  # a stale fire
        assert compliance(target, timezone.now()).compliance == "breached"
    target.refresh_from_db()
    assert target.rpo_breached_at == start + 6 * H + timedelta(seconds=20)
    assert alerts_of(target).count() == 1
    assert AuditEvent.objects.for_object(target).filter(action="rpo_breached").count() == 1
    assert len(alerts_seen) == 1 and alerts_seen[0].severity == "critical"
    assert alerts_seen[0].subject_type == "backups.backuptarget"
    assert len(mailoutbox) == 1
    assert sorted(mailoutbox[0].to) == ["admin0@example.com", "admin1@example.com"]
    assert target.name in mailoutbox[0].subject


def test_a_new_verified_backup_ends_the_breach_and_the_next_breach_alerts_again(
    admins, mailoutbox, django_capture_on_commit_callbacks
):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        policy = BackupPolicyFactory(target=BackupTargetFactory(rpo=6 * H, created_at=start))
    verified_backup(policy, start, "job-1")
    target = policy.target
    with time_machine.travel(start + 7 * H, tick=False):
        timers.sweep()
    with django_capture_on_commit_callbacks(execute=True):
        verified_backup(policy, start + 8 * H, "job-2")
    target.refresh_from_db()
    assert target.rpo_breached_at is None
    assert AuditEvent.objects.for_object(target).filter(action="rpo_restored").count() == 1
    assert Timer.objects.get(kind=TIMER_RPO, state="armed").due_at == start + 14 * H
    with time_machine.travel(start + 15 * H, tick=False):
        timers.sweep()
    assert alerts_of(target).count() == 2


def test_a_target_without_any_verified_backup_breaches_one_rpo_after_it_was_set_up():
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        target = services.target_create(
            actor=None, source="web", name="New DB", kind="database", with_default_policies=False
        )
    assert Timer.objects.get(kind=TIMER_RPO).due_at == start + 6 * H
    with time_machine.travel(start + 6 * H, tick=False):
        timers.sweep()
    assert alerts_of(target).get().payload["key"] == "rpo:none"


def test_a_late_verified_backup_moves_the_deadline_and_the_stale_timer_waits():
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        target = BackupTargetFactory(rpo=6 * H, created_at=start)
    timers.timer_arm(subject=target, kind=TIMER_RPO, due_at=start + 6 * H)
    BackupRunFactory(
        policy=BackupPolicyFactory(target=target), status=S.VERIFIED, started_at=start + 5 * H
    )  # written past the services: the check re-reads
    assert rpo_check(target_id=target.pk, now=start + 6 * H) is False
    assert Timer.objects.get(kind=TIMER_RPO, state="armed").due_at == start + 11 * H
    assert not alerts_of(target).exists()


def test_targets_without_rpo_never_alert_and_changing_the_rpo_rearms():
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        target = BackupTargetFactory(rpo=None, created_at=start)
        assert services.refresh_rpo(target=target, actor=None, source="web") is None
        assert not Timer.objects.filter(kind=TIMER_RPO, state="armed").exists()
        services.target_update(target_id=target.pk, actor=None, source="web", rpo=2 * H)
    assert Timer.objects.get(kind=TIMER_RPO, state="armed").due_at == start + 2 * H


def test_the_tick_arms_a_missing_rpo_timer():
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        target = BackupTargetFactory(rpo=6 * H, created_at=start - H)
        assert services.tick()["rpo_timers"] >= 1
        assert services.tick()["rpo_timers"] == 0
    assert Timer.objects.get(kind=TIMER_RPO, object_id=str(target.pk)).due_at == start + 5 * H


def test_a_failed_run_alerts_once(
    admins, mailoutbox, alerts_seen, django_capture_on_commit_callbacks
):
    run = BackupRunFactory(status=S.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_fail(run_id=run.pk, actor=None, source="api", reason="disk full")
    assert alerts_of(run).count() == 1
    assert [a.severity for a in alerts_seen] == ["warning"]
    assert len(mailoutbox) == 1 and "disk full" in mailoutbox[0].body


def test_a_scheduled_run_nobody_starts_fails_and_alerts(django_capture_on_commit_callbacks):
    policy = BackupPolicyFactory(interval=6 * H, start_grace=H)
    slot = timezone.now().replace(microsecond=0)
    run = services.run_create(
        target_id=policy.target_id,
        actor=None,
        source="timer",
        origin="schedule",
        policy_id=policy.pk,
        scheduled_for=slot,
    )
    with time_machine.travel(slot + 2 * H, tick=False):
        assert timers.sweep().fired == 1
        assert timers.sweep().fired == 0
    run = BackupRun.objects.get(pk=run.pk)
    assert run.status == S.FAILED and run.failure_code == "missed_start"
    assert alerts_of(run).count() == 1


def test_a_run_that_never_finishes_fails_on_timeout():
    policy = BackupPolicyFactory(max_duration=2 * H)
    run = BackupRunFactory(policy=policy, status=S.SCHEDULED)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        services.run_start(run_id=run.pk, actor=None, source="api")
    with time_machine.travel(start + 3 * H, tick=False):
        timers.sweep()
    run = BackupRun.objects.get(pk=run.pk)
    assert run.status == S.FAILED and run.failure_code == "timeout"
    # The job turns up after all: the late finish is accepted.
    with time_machine.travel(start + 3 * H + timedelta(minutes=5), tick=False):
        services.run_finish(run_id=run.pk, actor=None, source="api", checksum="cd" * 32)
    assert BackupRun.objects.get(pk=run.pk).status == S.SUCCEEDED


def test_raise_alert_is_idempotent_per_subject_and_key():
    target = BackupTargetFactory()
    first = raise_alert(subject=target, key="k", severity="warning", title="T", source="system")
    second = raise_alert(subject=target, key="k", severity="warning", title="T", source="system")
    assert first is not None and second is None
    assert alerts_of(target).count() == 1


def test_the_dashboard_and_the_timer_agree_on_the_deadline():
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        policy = BackupPolicyFactory(target=BackupTargetFactory(rpo=6 * H, created_at=start))
    verified_backup(policy, start - H, "job-1")
    row = compliance(policy.target, start)
    assert row.rpo_deadline == Timer.objects.get(kind=TIMER_RPO, state="armed").due_at
    assert row.last_verified == start - H
    at = {
        h: compliance(policy.target, start + h).compliance
        for h in (3 * H, 5 * H - timedelta(seconds=1), 5 * H)
    }
    assert list(at.values()) == ["met", "at_risk", "breached"]


def test_the_rpo_handler_twice_and_a_stale_token_give_one_breach():
    from backups.timer_handlers import rpo_deadline_reached

    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        target = BackupTargetFactory(rpo=6 * H, created_at=start)
        services.refresh_rpo(target=target, actor=None, source="web")
    old = Timer.objects.get(kind=TIMER_RPO, state="armed")
    stale_token = str(old.token)
    timers.timer_arm(subject=target, kind=TIMER_RPO, due_at=start + 6 * H)  # re-armed
    with time_machine.travel(start + 7 * H, tick=False):
        assert timers.timer_fire_one(timer_id=old.pk, token=stale_token) is False
        timer = Timer.objects.get(kind=TIMER_RPO, state="armed")
        rpo_deadline_reached(timer, now=timezone.now())
        rpo_deadline_reached(timer, now=timezone.now())
        assert timers.sweep().fired == 1  # the armed row fires once more: still one breach
    assert AuditEvent.objects.for_object(target).filter(action="rpo_breached").count() == 1
    assert alerts_of(target).count() == 1
