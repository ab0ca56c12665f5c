import pytest
from django.core.management import call_command

from backups import selectors
from backups.models import BackupRun, BackupTarget, RestoreTest

pytestmark = pytest.mark.django_db


def test_seed_demo_shows_every_state_and_is_repeatable():
    call_command("seed_demo", password="demo-pass-123")
    counts = (BackupTarget.objects.count(), BackupRun.objects.count(), RestoreTest.objects.count())
    call_command("seed_demo")
    assert (
        BackupTarget.objects.count(),
        BackupRun.objects.count(),
        RestoreTest.objects.count(),
    ) == counts
    states = {t.compliance for t in selectors.target_dashboard()}
    assert {"met", "breached", "none"} <= states
    assert BackupRun.objects.filter(status="failed").exists()
    assert RestoreTest.objects.filter(status="passed").exists()
    assert selectors.target_dashboard().get(slug="customer-db-backup").rule_321
