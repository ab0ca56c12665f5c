"""Forms of the release pages; the services do the writing."""

from __future__ import annotations

import json
import re
import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.models import Service, Team

from .models import Deployment, Environment, Release, ReleaseItem, ReleaseKindPolicy, Stage

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ReferencesField(forms.CharField):
    """Records by number, e.g. "CHG-00012, 15": no drop-down, so it scales to any number of
    changes or incidents."""

    def __init__(self, *args, prefix: str, model: str, **kwargs):
        self.prefix, self.model_path = prefix, model
        super().__init__(*args, **kwargs)

    def _model(self):
        from django.apps import apps

        return apps.get_model(self.model_path)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(f"{self.prefix}-{int(getattr(v, 'pk', v)):05d}" for v in value)
        return value

    def clean(self, value):
        value = super().clean(value) or ""
        ids = []
        pattern = rf"(?:{self.prefix}-?)?0*(\d+)"
        for token in re.split(r"[\s,;]+", value.strip()):
            if not token:
                continue
            match = re.fullmatch(pattern, token, flags=re.IGNORECASE)
            if not match:
                raise forms.ValidationError(
                    _("“%(t)s” is not a %(p)s number."), params={"t": token, "p": self.prefix}
                )
            ids.append(int(match.group(1)))
        found = self._model().objects.in_bulk(ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise forms.ValidationError(
                _("Not found: %(n)s."),
                params={"n": ", ".join(f"{self.prefix}-{i:05d}" for i in missing)},
            )
        return [found[i] for i in dict.fromkeys(ids)]


class ReleaseForm(forms.ModelForm):
    services = forms.ModelMultipleChoiceField(
        label=_("Services"),
        queryset=Service.objects.filter(is_active=True),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all())
    manager = forms.ModelChoiceField(
        label=_("Release manager"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
    )
    changes = ReferencesField(
        label=_("Linked changes"),
        required=False,
        prefix="CHG",
        model="changes.Change",
        help_text=_(
            "Change numbers, e.g. CHG-00012, CHG-00015. Lead time counts from their approval."
        ),
    )
    incidents_fixed = ReferencesField(
        label=_("Incidents fixed"),
        required=False,
        prefix="INC",
        model="incidents.Incident",
        help_text=_("Incident numbers, e.g. INC-00031."),
    )

    class Meta:
        model = Release
        fields = [
            "version",
            "title",
            "kind",
            "team",
            "manager",
            "services",
            "changes",
            "incidents_fixed",
            "planned_at",
            "strategy",
            "canary_percent",
            "canary_duration_minutes",
            "rolling_batch_percent",
            "blue_green_hold_minutes",
            "notes",
        ]
        widgets = {
            "planned_at": DATETIME_WIDGET,
            "notes": forms.Textarea(attrs={"rows": 5}),
            "strategy": forms.Select(attrs={"data-strategy": "1"}),
            "kind": forms.Select(attrs={"data-release-kind": "1"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["planned_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        for name in ("canary_percent", "canary_duration_minutes"):
            self.fields[name].widget.attrs["data-strategy-param"] = "canary"
        self.fields["rolling_batch_percent"].widget.attrs["data-strategy-param"] = "rolling"
        self.fields["blue_green_hold_minutes"].widget.attrs["data-strategy-param"] = "blue_green"
        if self.instance.pk and self.instance.stage != Stage.DEVELOPMENT:
            self.fields["version"].disabled = True
            self.fields["version"].help_text = _("The version can change only in development.")
        # Next cadence slot per kind, for releases.js to suggest a planned date.
        today = timezone.localdate()
        slots = {p.kind: p.next_slot(today) for p in ReleaseKindPolicy.objects.all()}
        self.fields["kind"].widget.attrs["data-next-slots"] = json.dumps(
            {kind: slot.isoformat() for kind, slot in slots.items() if slot}
        )

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        return {
            "version": data.pop("version"),
            "services": list(data.pop("services")),
            "changes": list(data.pop("changes") or []),
            "incidents_fixed": list(data.pop("incidents_fixed") or []),
            **data,
        }


class ItemForm(forms.ModelForm):
    link = forms.URLField(label=_("Link"), required=False, assume_scheme="https")

    class Meta:
        model = ReleaseItem
        fields = ["category", "title", "description", "link"]
        widgets = {"description": forms.Textarea(attrs={"rows": 1})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False  # a row left without a title is skipped
        bootstrap(self)


ItemFormSet = forms.inlineformset_factory(
    Release, ReleaseItem, form=ItemForm, extra=3, can_delete=True
)


def bootstrap(form: forms.BaseForm) -> None:
    """Small Bootstrap controls for forms rendered by hand in dense pages."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput | forms.CheckboxInput):
            continue
        css = (
            "form-select form-select-sm"
            if isinstance(widget, forms.Select)
            else "form-control form-control-sm"
        )
        widget.attrs.setdefault("class", css)


def items_from_formset(formset) -> list[dict]:
    return [
        {k: form.cleaned_data[k] for k in ("category", "title", "description", "link")}
        for form in formset.forms
        if form.cleaned_data
        and not form.cleaned_data.get("DELETE")
        and form.cleaned_data.get("title")
    ]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class DeploymentRecordForm(forms.Form):
    """A deployment done by hand (no pipeline): recorded like a pipeline report.

    `run_id` is drawn when the form is shown, so a form submitted twice is one deployment.
    """

    run_id = forms.CharField(widget=forms.HiddenInput, max_length=100)
    environment = forms.ChoiceField(label=_("Environment"), choices=Environment.choices)
    result = forms.ChoiceField(label=_("Result"), choices=Deployment.Result.choices)
    started_at = forms.DateTimeField(label=_("Started at"), widget=DATETIME_WIDGET, required=False)
    finished_at = forms.DateTimeField(
        label=_("Finished at"), widget=DATETIME_WIDGET, required=False
    )
    triggered_by = forms.CharField(label=_("Deployed by"), max_length=150, required=False)
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, release: Release | None = None, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("run_id", f"manual-{uuid.uuid4()}")
        if release is not None and release.stage in Environment.values:
            kwargs["initial"].setdefault("environment", release.stage)
        super().__init__(*args, **kwargs)
        for name in ("started_at", "finished_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        bootstrap(self)

    def clean(self):
        data = super().clean()
        if (
            data.get("started_at")
            and data.get("finished_at")
            and data["finished_at"] < data["started_at"]
        ):
            self.add_error("finished_at", _("A deployment cannot finish before it starts."))
        return data


class LinkIncidentForm(forms.Form):
    deployment = forms.ModelChoiceField(label=_("Deployment"), queryset=Deployment.objects.none())
    incident = ReferencesField(
        label=_("Incident"), prefix="INC", model="incidents.Incident", help_text="INC-00031"
    )

    def clean_incident(self):
        incidents = self.cleaned_data["incident"]
        if len(incidents) != 1:
            raise forms.ValidationError(_("Give one incident number."))
        return incidents[0]

    def __init__(self, *args, release: Release, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deployment"].queryset = release.deployments.filter(
            environment__in=[Environment.CANARY, Environment.PRODUCTION]
        )
        bootstrap(self)
