"""Celery wiring: beat knows the backup schedule; tasks are thin and idempotent."""

import pytest

from backups import tasks
from backups.models import BackupPolicy, BackupRun
from itsm import roles
from itsm.celery import app
from tests.backups.factories import BackupRunFactory

pytestmark = pytest.mark.django_db


def test_beat_runs_the_schedule_and_retention():
    app.loader.import_default_modules()
    app.finalize()
    schedule = app.conf.beat_schedule
    assert schedule["backups schedule"]["task"] == "backups.tick"
    assert schedule["backups retention"]["task"] == "backups.enforce_retention"


def test_the_tick_task(settings):
    BackupPolicy.objects.filter(target__is_portal=True).update(is_active=False)
    assert tasks.tick.delay().get() == {"scheduled": 0, "rpo_timers": 1, "drills": 1}


def test_the_retention_task_reports_its_figures():
    assert tasks.enforce_retention.delay().get() == {"expired": 0, "purged": 0, "errors": []}


def test_a_redelivered_portal_backup_does_nothing():
    run = BackupRunFactory(
        policy=BackupPolicy.objects.get(target__is_portal=True), status=BackupRun.Status.RUNNING
    )
    assert tasks.portal_backup(run.pk) == "running"
    assert tasks.portal_verify(run.pk) == "skipped"


def test_alert_mail_goes_to_active_administrators_with_an_address(make_user, mailoutbox):
    make_user(roles.ADMINISTRATOR, email="a@example.com")
    make_user(roles.ADMINISTRATOR, email="")
    make_user(roles.ADMINISTRATOR, email="gone@example.com", is_active=False)
    make_user(roles.ONCALL, email="oncall@example.com")
    sent = tasks.send_alert_email(
        {
            "key": "k",
            "severity": "critical",
            "title": "Out of RPO: DB",
            "message": "old",
            "url": "/backups/targets/db/",
        }
    )
    assert sent == 1
    assert mailoutbox[0].to == ["a@example.com"]
    assert mailoutbox[0].subject == "[CRITICAL] Out of RPO: DB"
