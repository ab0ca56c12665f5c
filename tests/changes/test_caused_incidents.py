"""An incident caused by a change shows on the change's page."""

import pytest
from django.urls import reverse

from incidents.models import Incident
from tests.changes.factories import ChangeFactory
from tests.incidents.factories import make_world, report

pytestmark = pytest.mark.django_db


def test_change_page_lists_the_incidents_it_caused(client):
    world = make_world()
    change = ChangeFactory()
    caused = report(world, priority="P2", title="Checkout down after deploy")
    Incident.objects.filter(pk=caused.pk).update(caused_by_change_id=change.pk)
    report(world, priority="P3", title="Unrelated slowness")
    client.force_login(world.user("manager"))
    page = client.get(reverse("changes:detail", args=[change.pk])).content.decode()
    assert "Incidents caused by this change" in page
    assert "Checkout down after deploy" in page
    assert "Unrelated slowness" not in page
