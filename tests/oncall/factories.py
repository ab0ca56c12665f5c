import datetime as dt

import factory

from oncall.models import Override, Rotation, RotationMember, Schedule
from tests.itsm.factories import TeamFactory, UserFactory


class ScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Schedule

    team = factory.SubFactory(TeamFactory)
    name = "Primary"
    level = 1
    time_zone = "Asia/Seoul"


class RotationFactory(factory.django.DjangoModelFactory):
    """A rotation covering from its first hand-off (no valid_from), for history tests.

    Pass members=[user, ...] for the order; without it, two fresh users rotate.
    """

    class Meta:
        model = Rotation
        skip_postgeneration_save = True

    schedule = factory.SubFactory(ScheduleFactory)
    name = factory.Sequence(lambda n: f"Rotation {n}")
    layer = 1
    kind = Rotation.Kind.WEEKLY
    shift_length_hours = 168
    start_date = dt.date(2026, 1, 5)
    handoff_time = dt.time(9, 0)
    time_zone = factory.LazyAttribute(lambda r: r.schedule.time_zone)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        people = extracted if extracted is not None else [UserFactory(), UserFactory()]
        for position, user in enumerate(people):
            RotationMember.objects.create(rotation=self, user=user, position=position)


class OverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Override

    schedule = factory.SubFactory(ScheduleFactory)
    user = factory.SubFactory(UserFactory)
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=4))
