"""Verification of the portal's own latest backup through the backups app: a real backup
(SQLite online backup or pg_dump), verified by its test restore, its file re-checked."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from backups.models import BackupRun
from backups.portal.backup import portal_backup, portal_target
from maintenance.jobs import FAILED, SUCCEEDED, JobContext, perform
from maintenance.models import JobKind

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _backups_dir(settings, tmp_path):
    settings.BACKUPS_DIR = tmp_path / "backups"
    settings.BACKUPS_ENCRYPTION_KEY = ""


def verify(now=None):
    return perform(JobContext(None, JobKind.VERIFY_BACKUP, "verify", {}, now or timezone.now()))


def test_no_portal_backup_on_record_fails():
    outcome = verify()
    assert outcome.status == FAILED and "No backup of the portal" in outcome.output


def test_an_unverified_backup_is_verified_by_a_test_restore():
    run = portal_backup(verify=False)
    assert run.status == "succeeded"
    outcome = verify()
    assert outcome.status == SUCCEEDED, outcome.output
    assert BackupRun.objects.get(pk=run.pk).status == "verified"
    assert outcome.details["run"] == run.pk and "Verified now" in outcome.output


def test_a_verified_backup_whose_file_rotted_since_fails():
    run = portal_backup()
    assert run.status == "verified"
    assert verify().status == SUCCEEDED
    path = Path(run.location)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    outcome = verify()
    assert outcome.status == FAILED and "checksum" in outcome.output


def test_a_backup_older_than_the_rpo_fails():
    portal_backup()
    rpo = portal_target().rpo or timedelta(hours=30)
    outcome = verify(now=timezone.now() + rpo + timedelta(minutes=5))
    assert outcome.status == FAILED and "recovery point objective" in outcome.output
