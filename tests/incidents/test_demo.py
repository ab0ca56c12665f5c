"""The demo data: `manage.py seed_demo` runs each app's seed; ours is safe to run twice."""

import pytest
from django.core.management import call_command

from incidents.models import ActionItem, Incident, Postmortem

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_incidents_in_several_states_once(capsys):
    call_command("seed_demo", password="demo-password-1")
    states = set(Incident.objects.values_list("status", flat=True))
    assert states == {"detected", "investigating", "waiting", "verified"}
    assert Incident.objects.filter(is_major=True).count() == 1
    assert Postmortem.objects.get().status == "in_review"
    assert ActionItem.objects.count() == 1
    call_command("seed_demo")
    assert Incident.objects.count() == 4


def test_my_work_lists_assigned_incidents_and_action_items(client):
    call_command("seed_demo", password="demo-password-1")
    from itsm.models import User

    oncall = User.objects.get(username="oncall")
    oncall.language = "en"  # the demo on-call engineer reads Korean
    oncall.save(update_fields=["language"])
    client.force_login(oncall)
    page = client.get("/").content.decode()
    assert "Incidents assigned to me" in page and "Web shop checkout" in page
    assert "My postmortem action items" in page and "WAL clean-up" in page
