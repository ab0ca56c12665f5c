"""Restore tests: measured against RTO and RPO, the next one planned, overdue ones shown."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from backups import services
from backups.alerts import ALERT_ACTION
from backups.models import BackupRun, RestoreTest
from itsm import roles
from itsm.errors import DomainError
from itsm.models import AuditEvent
from tests.backups.factories import BackupRunFactory, BackupTargetFactory, RestoreTestFactory

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def drill():
    return RestoreTestFactory(target=BackupTargetFactory(rto=4 * H, rpo=6 * H))


def record(drill, actor=None, *, hours=2, data_loss=H, data_verified=True, **kwargs):
    now = timezone.now()
    started = now - timedelta(hours=hours) - timedelta(minutes=1)
    run = BackupRunFactory(
        target=drill.target,
        policy=None,
        status=BackupRun.Status.VERIFIED,
        started_at=started - data_loss,
    )
    kwargs.setdefault("evidence", "Restored into scratch; counts match.")
    return services.drill_record(
        drill_id=drill.pk,
        actor=actor,
        source="web",
        started_at=started,
        finished_at=started + timedelta(hours=hours),
        data_verified=data_verified,
        run_id=run.pk,
        **kwargs,
    )


def test_a_drill_within_rto_and_rpo_with_checked_data_passes(drill):
    done = record(drill)
    assert done.status == RestoreTest.Status.PASSED
    assert done.recovery_time == 2 * H and done.rto_target == 4 * H and done.meets_rto
    assert done.data_loss == H and done.meets_rpo
    nxt = RestoreTest.objects.get(target=drill.target, status="planned")
    assert nxt.planned_for == done.recorded_at + drill.target.drill_interval


@pytest.mark.parametrize(
    "kwargs",
    [{"hours": 5}, {"data_loss": 7 * H}, {"data_verified": False}],
    ids=["over RTO", "over RPO", "data incomplete"],
)
def test_a_drill_that_misses_an_objective_fails_and_alerts(drill, kwargs):
    done = record(drill, **kwargs)
    assert done.status == RestoreTest.Status.FAILED
    assert AuditEvent.objects.for_object(done).filter(action=ALERT_ACTION).count() == 1


def test_recording_needs_evidence_and_a_recovery_point(drill):
    with pytest.raises(DomainError) as error:
        record(drill, evidence="")
    assert error.value.field == "evidence"
    now = timezone.now()
    with pytest.raises(DomainError) as error:
        services.drill_record(
            drill_id=drill.pk,
            actor=None,
            source="web",
            started_at=now - H,
            finished_at=now,
            data_verified=True,
            evidence="x",
        )
    assert error.value.field == "recovery_point"


def test_a_recorded_drill_cannot_be_recorded_again_or_cancelled(drill):
    record(drill)
    with pytest.raises(TransitionNotAllowed):
        record(drill)
    with pytest.raises(TransitionNotAllowed):
        services.drill_cancel(drill_id=drill.pk, actor=None, source="web", reason="x")


def test_people_without_the_role_cannot_record(drill, user_for):
    with pytest.raises(PermissionDenied):
        record(drill, actor=user_for(roles.REQUESTER))
    assert record(drill, actor=user_for(roles.ONCALL)).recorded_by == user_for(roles.ONCALL)


def test_cancel_needs_a_reason_and_plans_nothing_twice(drill, user_for):
    with pytest.raises(DomainError):
        services.drill_cancel(
            drill_id=drill.pk, actor=user_for(roles.ONCALL), source="web", reason=" "
        )
    services.drill_cancel(
        drill_id=drill.pk,
        actor=user_for(roles.ONCALL),
        source="web",
        reason="Replaced by the DR exercise",
    )
    assert RestoreTest.objects.get(pk=drill.pk).status == RestoreTest.Status.CANCELLED


def test_overdue_drills_are_listed_and_flagged(client, user_for):
    overdue = RestoreTestFactory(planned_for=timezone.now() - timedelta(days=2))
    RestoreTestFactory()
    client.force_login(user_for(roles.ONCALL))
    page = client.get(reverse("backups:drills") + "?overdue=true").content.decode()
    assert overdue.get_absolute_url() in page and "overdue" in page
    api = client.get("/api/v1/restore-tests/?overdue=true").json()
    assert [d["id"] for d in api["results"]] == [overdue.pk]
    dashboard = client.get(reverse("backups:list")).content.decode()
    assert overdue.get_absolute_url() in dashboard


def test_recording_through_the_page(client, user_for, drill):
    user = user_for(roles.ONCALL)
    client.force_login(user)
    run = BackupRunFactory(
        target=drill.target,
        policy=None,
        status=BackupRun.Status.VERIFIED,
        started_at=timezone.now() - 5 * H,
    )
    # The form reads times in the user's own time zone (Asia/Seoul here).
    started = timezone.localtime(timezone.now() - 3 * H, ZoneInfo(user.time_zone))
    response = client.post(
        reverse("backups:drill-transition", args=[drill.pk, "record_pass"]),
        {
            "started_at": started.strftime("%Y-%m-%dT%H:%M"),
            "finished_at": (started + H).strftime("%Y-%m-%dT%H:%M"),
            "run": run.pk,
            "data_verified": "on",
            "evidence": "ok",
        },
    )
    assert response.status_code == 302
    assert RestoreTest.objects.get(pk=drill.pk).status == RestoreTest.Status.PASSED


def test_a_bad_record_shows_the_form_error(client, user_for, drill):
    user = user_for(roles.ONCALL)
    client.force_login(user)
    now = timezone.localtime(timezone.now(), ZoneInfo(user.time_zone))
    response = client.post(
        reverse("backups:drill-transition", args=[drill.pk, "record_pass"]),
        {
            "started_at": now.strftime("%Y-%m-%dT%H:%M"),
            "finished_at": (now - H).strftime("%Y-%m-%dT%H:%M"),
            "evidence": "ok",
        },
    )
    assert response.status_code == 400
    assert "cannot end before it began" in response.content.decode()
    assert RestoreTest.objects.get(pk=drill.pk).status == RestoreTest.Status.PLANNED
