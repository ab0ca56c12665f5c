from datetime import timedelta

import pytest

from backups.templatetags.backups_tags import at_least, badge, label, span


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (timedelta(hours=3, seconds=1), "3 h"),
        (timedelta(days=1, hours=6), "1 d 6 h"),
        (timedelta(minutes=90), "1 h 30 min"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(0), "0 s"),
        (-timedelta(minutes=5), "-5 min"),
        (None, "–"),
    ],
)
def test_span(value, shown):
    assert span(value) == shown


def test_badges_and_labels():
    assert badge("breached", "compliance") == "text-bg-danger"
    assert badge("nonsense", "run") == "text-bg-secondary"
    assert label("verification_failed", "run") == "Verification failed"
    assert label("unknown", "drill") == "unknown"
    assert "text-success" in at_least(3, 3) and "text-danger" in at_least(1, 2)
