"""Backup jobs report runs through one idempotent service (and POST /backup-runs/report/)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from backups import services
from backups.models import BackupRun
from itsm.errors import Conflict, DomainError
from itsm.models import AuditEvent
from itsm.timers.models import Timer
from tests.backups.factories import BackupPolicyFactory, BackupRunFactory

pytestmark = pytest.mark.django_db
S = BackupRun.Status


def report(policy, external_id="job-1", status="succeeded", **kwargs):
    kwargs.setdefault("checksum", "aa" * 32)
    return services.run_report(
        actor=None,
        source="api",
        target=policy.target.slug,
        external_id=external_id,
        status=status,
        **kwargs,
    )


def events(run):
    return list(AuditEvent.objects.for_object(run).values_list("action", flat=True))


def test_a_first_report_creates_the_run_and_walks_it_to_the_reported_state():
    policy = BackupPolicyFactory()
    started = timezone.now() - timedelta(minutes=30)
    run, created, changed = report(policy, started_at=started, size_bytes=10, location="s3://b/1")
    assert created and changed
    assert run.status == S.SUCCEEDED and run.policy == policy and run.origin == "agent"
    assert run.started_at == started and run.recovery_point == started
    assert run.size_bytes == 10 and run.location == "s3://b/1" and run.encrypted is True
    assert events(run) == ["created", "start", "finish"]


def test_a_retried_report_changes_nothing():
    policy = BackupPolicyFactory()
    first, *_ = report(policy)
    again, created, changed = report(policy)
    assert again.pk == first.pk and not created and not changed
    assert BackupRun.objects.count() == 1
    assert events(again) == ["created", "start", "finish"]


def test_a_late_progress_report_after_the_end_is_harmless():
    policy = BackupPolicyFactory()
    report(policy, status="verified")
    run, created, changed = report(policy, status="running")
    assert run.status == S.VERIFIED and not created and not changed


def test_a_contradicting_report_is_a_conflict():
    policy = BackupPolicyFactory()
    report(policy, status="verified")
    with pytest.raises(Conflict):
        report(policy, status="failed", message="boom")
    with pytest.raises(Conflict):
        report(policy, status="verification_failed")
    with pytest.raises(Conflict):
        report(policy, checksum="bb" * 32)


def test_progress_is_reported_step_by_step():
    policy = BackupPolicyFactory()
    run, *_ = report(policy, status="running", checksum="")
    assert run.status == S.RUNNING
    run, created, changed = report(policy, status="verified", message="restore-tested")
    assert run.status == S.VERIFIED and changed and not created
    assert run.verification_note == "restore-tested"
    assert events(run) == ["created", "start", "finish", "verify"]


def test_a_report_fills_the_open_scheduled_slot_of_its_policy():
    policy = BackupPolicyFactory(interval=timedelta(hours=6))
    slot = timezone.now() - timedelta(minutes=5)
    scheduled = services.run_create(
        target_id=policy.target_id,
        actor=None,
        source="timer",
        origin="schedule",
        policy_id=policy.pk,
        scheduled_for=slot,
    )
    assert Timer.objects.filter(kind="backups.run_start_due", state="armed").count() == 1
    run, created, _changed = report(policy, external_id="job-9", status="running")
    assert run.pk == scheduled.pk and created
    assert run.external_id == "job-9" and run.origin == "schedule"
    assert Timer.objects.filter(kind="backups.run_start_due", state="armed").count() == 0
    assert Timer.objects.filter(kind="backups.run_finish_due", state="armed").count() == 1


def test_a_job_that_turns_up_after_being_marked_missed_still_counts():
    run = BackupRunFactory(
        status=S.FAILED, failure_code="missed_start", external_id="late-1", checksum=""
    )
    again, created, changed = report(run.policy, external_id="late-1", status="succeeded")
    assert again.pk == run.pk and changed and not created
    assert again.status == S.SUCCEEDED and again.failure_code == ""
    assert "start" in events(again) and "finish" in events(again)


def test_a_run_failed_for_its_own_error_cannot_succeed_later():
    run = BackupRunFactory(status=S.FAILED, failure_code="job_error", external_id="x")
    with pytest.raises(Conflict):
        report(run.policy, external_id="x", status="succeeded")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"status": "expired"}, "status"),
        ({"external_id": " "}, "external_id"),
        ({"started_at": timezone.now() + timedelta(hours=1)}, "started_at"),
        ({"size_bytes": -1}, "size_bytes"),
        ({"policy_id": 999999}, "policy"),
    ],
)
def test_bad_reports_are_refused_with_the_field(kwargs, field):
    policy = BackupPolicyFactory()
    with pytest.raises(DomainError) as error:
        report(policy, **kwargs)
    assert error.value.field == field
    assert BackupRun.objects.count() == 0


def test_a_finish_before_the_start_is_refused():
    policy = BackupPolicyFactory()
    now = timezone.now()
    with pytest.raises(DomainError):
        report(policy, started_at=now - timedelta(minutes=5), finished_at=now - timedelta(hours=1))


def test_an_unknown_target_is_refused():
    with pytest.raises(DomainError):
        services.run_report(
            actor=None, source="api", target="nope", external_id="1", status="running"
        )


def test_reporting_needs_the_permission(make_user):
    policy = BackupPolicyFactory()
    with pytest.raises(PermissionDenied):
        services.run_report(
            actor=make_user(),
            source="api",
            target=policy.target.slug,
            external_id="1",
            status="running",
        )


def test_a_method_picks_the_policy_when_the_target_has_several():
    full = BackupPolicyFactory(method="full")
    diff = BackupPolicyFactory(target=full.target, method="differential")
    run, *_ = report(full, method="differential")
    assert run.policy == diff and run.method == "differential"
