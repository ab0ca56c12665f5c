"""The home page's "my work": my next on-call shifts."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import selectors

HORIZON = dt.timedelta(days=14)
SHOWN = 3


def my_next_shifts(user) -> list[dict]:
    if not user.is_authenticated or not selectors.schedules_of_user(user).exists():
        return []
    now = timezone.now()
    shifts = selectors.shifts_of_user(user, now, now + HORIZON)[:SHOWN]
    return [
        {
            "title": _("My on-call shifts"),
            "items": shifts,
            "url": reverse("oncall:my_shifts"),
            "empty": _("You have no on-call shift in the next two weeks."),
        }
    ]
