"""Page forms. They only parse input; the services decide what is allowed."""

import re
import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import Rotation, Schedule

User = get_user_model()
WEEKDAYS = [
    (0, _("Mon")),
    (1, _("Tue")),
    (2, _("Wed")),
    (3, _("Thu")),
    (4, _("Fri")),
    (5, _("Sat")),
    (6, _("Sun")),
]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def zone_choices():
    common = settings.COMMON_TIME_ZONES
    return [(tz, tz) for tz in common + sorted(zoneinfo.available_timezones() - set(common))]


class ScheduleForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=())

    class Meta:
        model = Schedule
        fields = ["team", "name", "level", "time_zone", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = zone_choices()
        if self.instance.pk:
            self.fields["team"].disabled = True
            self.fields["time_zone"].help_text = _(
                "A new zone applies from now on; shifts already worked stay as they were."
            )


class RotationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    layer = forms.IntegerField(
        label=_("Layer"),
        min_value=1,
        max_value=99,
        initial=1,
        help_text=_("Where layers overlap, the higher layer wins."),
    )
    kind = forms.ChoiceField(label=_("Rotation"), choices=Rotation.Kind.choices)
    shift_length_hours = forms.IntegerField(
        label=_("Shift length (hours)"),
        min_value=1,
        max_value=24 * 92,
        required=False,
        help_text=_("Only for a custom length, e.g. 12 for day and night shifts."),
    )
    start_date = forms.DateField(
        label=_("First hand-off on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    handoff_time = forms.TimeField(
        label=_("Hand-off time"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Local time in the schedule's time zone."),
    )
    members = forms.CharField(
        label=_("People, in order"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("User names separated by commas or new lines; the first is on call first."),
    )
    restriction = forms.ChoiceField(label=_("On call"), choices=Rotation.Restriction.choices)
    window_days = forms.TypedMultipleChoiceField(
        label=_("Days"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    window_start = forms.TimeField(
        label=_("From"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    window_end = forms.TimeField(
        label=_("To"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Before the start means overnight; equal to it means the whole day."),
    )

    def clean_members(self):
        names = [n for n in re.split(r"[\s,;]+", self.cleaned_data["members"]) if n]
        found = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
        missing = [n for n in names if n not in found]
        if missing:
            raise forms.ValidationError(
                _("Unknown or inactive users: %(names)s"), params={"names": ", ".join(missing)}
            )
        return [found[n] for n in names]

    def clean(self):
        data = super().clean()
        if data.get("kind") == Rotation.Kind.CUSTOM and not data.get("shift_length_hours"):
            self.add_error("shift_length_hours", _("Give the length of a custom shift."))
        if data.get("restriction") == Rotation.Restriction.WINDOWS:
            if not data.get("window_days"):
                self.add_error("window_days", _("Choose at least one day."))
            if data.get("window_start") is None or data.get("window_end") is None:
                self.add_error("window_end", _("Give the hours."))
        return data

    def service_data(self) -> dict:
        data = self.cleaned_data
        out = {
            k: data[k]
            for k in (
                "name",
                "layer",
                "kind",
                "start_date",
                "handoff_time",
                "members",
                "restriction",
            )
        }
        out["shift_length_hours"] = data.get("shift_length_hours") or 24
        out["windows"] = []
        if data["restriction"] == Rotation.Restriction.WINDOWS:
            out["windows"] = [
                {
                    "days": sorted(data["window_days"]),
                    "start": data["window_start"].strftime("%H:%M"),
                    "end": data["window_end"].strftime("%H:%M"),
                }
            ]
        return out

    @classmethod
    def initial_for(cls, rotation: Rotation) -> dict:
        window = (rotation.windows or [{}])[0]
        return {
            "name": rotation.name,
            "layer": rotation.layer,
            "kind": rotation.kind,
            "shift_length_hours": rotation.shift_length_hours,
            "start_date": rotation.start_date,
            "handoff_time": rotation.handoff_time,
            "members": "\n".join(u.username for u in rotation.ordered_members()),
            "restriction": rotation.restriction,
            "window_days": window.get("days", []),
            "window_start": window.get("start"),
            "window_end": window.get("end"),
        }


class OverrideForm(forms.Form):
    user = forms.ModelChoiceField(label=_("On call"), queryset=User.objects.none())
    replaces = forms.ModelChoiceField(
        label=_("Instead of"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Everyone (take every shift)"),
        help_text=_("Pick a person to take only their shifts (a swap)."),
    )
    start = forms.DateTimeField(label=_("From"), widget=DateTimeLocalInput())
    end = forms.DateTimeField(label=_("Until"), widget=DateTimeLocalInput())
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, schedule: Schedule, actor, may_assign: bool, **kwargs):
        super().__init__(*args, **kwargs)
        team_people = User.objects.filter(is_active=True, memberships__team=schedule.team)
        rotation_people = User.objects.filter(
            is_active=True, oncall_rotation_memberships__rotation__schedule=schedule
        )
        people = (team_people | rotation_people).distinct().order_by("username")
        self.fields["user"].queryset = people if may_assign else User.objects.filter(pk=actor.pk)
        self.fields["user"].initial = actor.pk
        self.fields["replaces"].queryset = people

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("The end must be after the start."))
        return data


class TakeOverForm(forms.Form):
    """The one-click form: both times optional (now, until the next hand-off)."""

    start = forms.DateTimeField(required=False, widget=DateTimeLocalInput())
    end = forms.DateTimeField(required=False, widget=DateTimeLocalInput())
    level = forms.IntegerField(required=False, min_value=1, max_value=9)
    next = forms.CharField(required=False)
