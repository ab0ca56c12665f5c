"""Two people press "I'll take it" at the same instant: one wins, the other hears who did.

Real threads on PostgreSQL; the schedule row lock serialises them, so the loser sees the
winner's override and gets a Conflict instead of a second, overlapping override.
"""

import threading

import pytest
from django.db import connection

from itsm.audit import Source
from itsm.errors import Conflict
from itsm.models import BusinessCalendar, Membership
from oncall import services
from oncall.models import Override
from tests.itsm.factories import TeamFactory, UserFactory

from .factories import RotationFactory, ScheduleFactory


def korea():
    # transaction=True tests flush the tables, migration data included: make it again.
    calendar, _ = BusinessCalendar.objects.get_or_create(
        name="Korea (Seoul)",
        defaults={"country": "KR", "time_zone": "Asia/Seoul", "work_days": [0, 1, 2, 3, 4]},
    )
    return calendar


def race(functions):
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait(timeout=10)
            results[index] = function()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, f)) for n, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_take_overs_make_one_override():
    team = TeamFactory(calendar=korea())
    people = [UserFactory(), UserFactory(), UserFactory(), UserFactory()]
    for person in people:
        Membership.objects.create(team=team, user=person)
    schedule = ScheduleFactory(team=team)
    RotationFactory(schedule=schedule, members=people[:2])

    def take(person):
        return lambda: services.take_over(
            team=team, user=person, start=None, end=None, actor=person, source=Source.WEB
        )

    results = race([take(people[2]), take(people[3])])
    winners = [r for r in results if isinstance(r, Override)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert Override.objects.count() == 1
    assert str(winners[0].user) in str(losers[0].message)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_person_clicking_twice_at_once_gets_one_override():
    team = TeamFactory(calendar=korea())
    person = UserFactory()
    Membership.objects.create(team=team, user=person)
    ScheduleFactory(team=team)
    take = lambda: services.take_over(  # noqa: E731
        team=team, user=person, start=None, end=None, actor=person, source=Source.WEB
    )
    results = race([take, take, take])
    assert all(isinstance(r, Override) for r in results), results
    assert len({r.pk for r in results}) == 1 and Override.objects.count() == 1
