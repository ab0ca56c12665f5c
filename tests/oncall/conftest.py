import datetime as dt

import pytest
import time_machine

from itsm.models import BusinessCalendar, Membership
from tests.itsm.factories import TeamFactory

from .factories import RotationFactory, ScheduleFactory

# A fixed "now" for the tests: Monday 2 March 2026, 12:00 in Seoul.
NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def team(db):
    return TeamFactory(
        slug="platform", name="Platform", calendar=BusinessCalendar.objects.get(country="KR")
    )


@pytest.fixture
def members(team, make_user):
    people = [
        make_user(username=name, first_name=name.capitalize()) for name in ("alice", "bob", "carol")
    ]
    for person in people:
        Membership.objects.create(team=team, user=person)
    return people


@pytest.fixture
def schedule(team, members):
    """Platform primary: a daily rotation alice → bob → carol, hand-off 09:00 Seoul."""
    schedule = ScheduleFactory(team=team, time_zone="Asia/Seoul")
    RotationFactory(
        schedule=schedule,
        name="Daily",
        kind="daily",
        shift_length_hours=24,
        start_date=dt.date(2026, 3, 1),
        members=members,
    )
    return schedule
