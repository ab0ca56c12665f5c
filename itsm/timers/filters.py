import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Timer
from .registry import registered_kinds


class TimerFilter(django_filters.FilterSet):
    """Narrows every list of the timers page (and any future API list) the same way."""

    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=[])
    object_id = django_filters.CharFilter(label=_("Object id"))

    class Meta:
        model = Timer
        fields = ["kind", "object_id"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Kinds are registered by the apps at start-up, so read them per request.
        self.filters["kind"].extra["choices"] = [(k, k) for k in registered_kinds()]
