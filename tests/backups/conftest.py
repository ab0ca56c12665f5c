import pytest

from backups.alerts import alert_raised


@pytest.fixture(autouse=True)
def _backups_dir(settings, tmp_path):
    """Portal backups of a test go to its own directory, never to var/backups."""
    settings.BACKUPS_DIR = tmp_path / "backups"
    settings.BACKUPS_ENCRYPTION_KEY = ""


@pytest.fixture
def alerts_seen():
    """Alerts delivered through the signal (after commit), as the incidents app would see."""
    seen = []

    def receiver(sender, alert, **kwargs):
        seen.append(alert)

    alert_raised.connect(receiver, dispatch_uid="tests-alerts-seen")
    yield seen
    alert_raised.disconnect(dispatch_uid="tests-alerts-seen")
