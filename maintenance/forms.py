"""Page forms. They parse input only; the services validate the rules and write."""

import json

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from itsm.models import TIME_ZONE_CHOICES

from .models import MaintenanceJob, MaintenancePlan, PendingUpdate


class PlanForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("time zone"), choices=TIME_ZONE_CHOICES)

    class Meta:
        model = MaintenancePlan
        fields = [
            "name",
            "description",
            "schedule",
            "time_zone",
            "is_active",
            "max_duration",
            "open_incident_on_failure",
            "incident_service",
            "window",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "schedule": forms.TextInput(
                attrs={"list": "schedule-presets", "class": "font-monospace"}
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        common = [(tz, tz) for tz in settings.COMMON_TIME_ZONES]
        self.fields["time_zone"].choices = [
            (_("Common"), common),
            (_("All"), TIME_ZONE_CHOICES),
        ]
        self.fields["max_duration"].help_text = _("e.g. 02:00:00 for two hours")

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class PrettyJSONField(forms.JSONField):
    def prepare_value(self, value):
        if isinstance(value, str):
            return value
        return json.dumps(value or {}, indent=2, sort_keys=True)


class JobForm(forms.ModelForm):
    parameters = PrettyJSONField(
        label=_("parameters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "font-monospace"}),
        help_text=_("A JSON object; leave {} for the defaults."),
    )

    class Meta:
        model = MaintenanceJob
        fields = [
            "name",
            "kind",
            "position",
            "is_active",
            "parameters",
            "services",
            "owner_team",
            "change_template",
        ]
        widgets = {"services": forms.SelectMultiple(attrs={"size": 6})}

    def clean_parameters(self):
        return self.cleaned_data.get("parameters") or {}

    def service_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields}
        fields["services"] = list(fields["services"])
        return fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from changes.models import StandardTemplate

        self.fields["change_template"].queryset = StandardTemplate.objects.filter(
            status=StandardTemplate.Status.APPROVED
        )

    def _post_clean(self):
        # The service validates (one message for page and API); skip the model's full_clean.
        pass


class UpdateForm(forms.ModelForm):
    class Meta:
        model = PendingUpdate
        fields = ["component", "version", "kind", "severity", "advisory", "services", "notes"]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "services": forms.SelectMultiple(attrs={"size": 6}),
        }

    def service_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields}
        fields["services"] = list(fields["services"])
        return fields

    def _post_clean(self):
        pass


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
