"""`manage.py seed_demo` loads the changes demo through ChangesConfig.seed_demo, twice safely."""

import pytest
from django.core.management import call_command

from changes.models import CabMeeting, Change, StandardTemplate

pytestmark = pytest.mark.django_db(transaction=False)


def test_seed_demo_creates_changes_in_telling_states_and_is_idempotent(capsys):
    call_command("seed_demo", password="demo-pass-123")
    states = set(Change.objects.values_list("status", flat=True))
    assert {"draft", "awaiting_approval", "scheduled", "completed"} <= states
    assert StandardTemplate.objects.filter(status="approved").count() == 1
    assert CabMeeting.objects.get().agenda.count() == 1
    emergency = Change.objects.get(change_class="emergency")
    assert emergency.review_due_at is not None
    count = Change.objects.count()
    call_command("seed_demo", password="demo-pass-123")
    assert Change.objects.count() == count
