import pytest

from incidents.models import EscalationStep, Status

from .factories import drive, report

pytestmark = pytest.mark.django_db


def test_report_and_drive_to_closed(world):
    incident = report(world, priority="P1")
    assert incident.priority == "P1"
    assert EscalationStep.objects.filter(incident=incident, level=1).exists()
    closed = drive(world, incident, Status.CLOSED)
    assert closed.status == Status.CLOSED
