"""Page forms: they parse input; the services decide."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from itsm.models import Service, Team

from .events import EVENT_CHOICES
from .models import Integration, NotificationPreference, WebhookSubscription
from .models.intake import PRIORITY_OR_NONE


class IntegrationForm(forms.ModelForm):
    class Meta:
        model = Integration
        fields = [
            "name",
            "description",
            "is_active",
            "default_service",
            "default_team",
            "severity_label",
            "service_label",
            "team_label",
            "unknown_severity_priority",
            "resolve_policy",
            "rate_limit",
            "retention_days",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_service"].queryset = Service.objects.filter(is_active=True)


GRACE_CHOICES = [
    (0, _("Revoke the old token now")),
    (1, _("Keep the old token for 1 hour")),
    (24, _("Keep the old token for 24 hours")),
    (168, _("Keep the old token for 7 days")),
]


class RotateTokenForm(forms.Form):
    grace_hours = forms.TypedChoiceField(
        label=_("Old token"),
        choices=GRACE_CHOICES,
        coerce=int,
        initial=24,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=~?\s*\"?(.*?)\"?\s*$")


class RuleForm(forms.Form):
    matchers = forms.CharField(
        label=_("When labels match"),
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "placeholder": 'namespace=~"payments.*"',
                "class": "form-control form-control-sm font-monospace",
            }
        ),
        help_text=_('One per line: label=~"regular expression" (the whole value must match).'),
    )
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Service.objects.filter(is_active=True),
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.all(),
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def clean_matchers(self) -> dict:
        found = {}
        for line in self.cleaned_data["matchers"].splitlines():
            if not line.strip():
                continue
            match = _MATCHER.match(line)
            if not match:
                raise forms.ValidationError(
                    _('Cannot read %(line)s: write label=~"pattern".') % {"line": line.strip()}
                )
            found[match.group(1)] = match.group(2)
        if not found:
            raise forms.ValidationError(_("Give at least one label."))
        return found

    def clean(self):
        data = super().clean()
        if not data.get("service") and not data.get("team"):
            raise forms.ValidationError(_("A rule sets a service, a team or both."))
        return data


class SeverityForm(forms.Form):
    severity = forms.CharField(label=_("Severity"), max_length=50)
    priority = forms.ChoiceField(label=_("Priority"), choices=PRIORITY_OR_NONE, required=False)


class WebhookForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "event_types", "failure_threshold"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(_("Webhook URLs start with http:// or https://."))
        return url


class PreferencesForm(forms.Form):
    event_types = forms.MultipleChoiceField(
        label=_("E-mail me when"),
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        required=False,
    )
    scope = forms.ChoiceField(
        label=_("About"),
        choices=NotificationPreference.Scope.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        initial=NotificationPreference.Scope.TEAMS,
    )
    language = forms.ChoiceField(
        label=_("E-mail language"),
        choices=[("", _("Same as the portal"))] + list(settings.LANGUAGES),
        required=False,
    )
