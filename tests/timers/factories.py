from datetime import timedelta

import factory
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from itsm.timers.models import Timer
from tests.itsm.factories import TeamFactory


class TimerFactory(factory.django.DjangoModelFactory):
    """An armed timer on a team; `due_in` sets the due time relative to now."""

    class Meta:
        model = Timer
        exclude = ("subject", "due_in")

    subject = factory.SubFactory(TeamFactory)
    due_in = timedelta(minutes=5)
    kind = "tests.record"
    key = factory.Sequence(str)
    content_type = factory.LazyAttribute(lambda o: ContentType.objects.get_for_model(o.subject))
    object_id = factory.LazyAttribute(lambda o: str(o.subject.pk))
    due_at = factory.LazyAttribute(lambda o: timezone.now() + o.due_in)
