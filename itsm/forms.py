from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import User


class PreferencesForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=())
    language = forms.ChoiceField(label=_("Language"), choices=())

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "time_zone", "language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        import zoneinfo

        common = settings.COMMON_TIME_ZONES
        rest = sorted(zoneinfo.available_timezones() - set(common))
        self.fields["time_zone"].choices = [(tz, tz) for tz in common + rest]
        self.fields["language"].choices = [("", _("Browser default")), *settings.LANGUAGES]
        self.fields["language"].required = False
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save")))
