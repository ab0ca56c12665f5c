"""Page forms. They parse input only; services check the rules and write."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import BackupPolicy, BackupRun, BackupTarget, StorageLocation

DURATION_HELP = _("hh:mm:ss, or days then hh:mm:ss, e.g. 6:00:00 or 30 00:00:00")


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _duration_help(form: forms.ModelForm, *names: str) -> None:
    for name in names:
        if name in form.fields:
            extra = form.fields[name].help_text
            form.fields[name].help_text = (
                f"{extra} {DURATION_HELP}".strip() if extra else DURATION_HELP
            )


class TargetForm(forms.ModelForm):
    storage_location = forms.ModelChoiceField(
        label=_("Storage location for the default policies"),
        queryset=StorageLocation.objects.filter(is_active=True),
        required=False,
    )
    with_default_policies = forms.BooleanField(
        label=_("Create the default policies of this kind"), required=False, initial=True
    )

    class Meta:
        model = BackupTarget
        fields = ["name", "slug", "kind", "description", "service", "owner_team",
                  "primary_medium", "rpo", "rto", "at_risk_percent", "drill_interval",
                  "is_active"]  # fmt: skip

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        _duration_help(self, "rpo", "rto", "drill_interval")
        self.fields["slug"].required = False
        if creating:
            for name in ("rpo", "rto", "drill_interval"):
                self.fields[name].help_text = _("Empty: the default of the kind.")
        else:
            del self.fields["storage_location"]
            del self.fields["with_default_policies"]

    def _post_clean(self):
        # Uniqueness and constraints are the service's job; skip the model validation pass.
        pass


class PolicyForm(forms.ModelForm):
    class Meta:
        model = BackupPolicy
        fields = ["name", "method", "interval", "next_run_at", "retention_generations",
                  "retention_days", "storage_location", "encrypted", "start_grace",
                  "max_duration", "is_active"]  # fmt: skip
        widgets = {"next_run_at": LocalDateTimeInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _duration_help(self, "interval", "start_grace", "max_duration")

    def _post_clean(self):
        pass


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("How was it verified?"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class FinishForm(forms.Form):
    size_bytes = forms.IntegerField(label=_("Size (bytes)"), required=False, min_value=0)
    checksum = forms.CharField(label=_("Checksum (SHA-256)"), required=False, max_length=200)
    location = forms.CharField(label=_("Location"), required=False, max_length=1000)
    recovery_point = forms.DateTimeField(
        label=_("Recovery point"), required=False, widget=LocalDateTimeInput()
    )


RUN_FORMS = {"reason": ReasonForm, "note": NoteForm, "finish": FinishForm}


class DrillPlanForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Target"), queryset=BackupTarget.objects.filter(is_active=True)
    )
    planned_for = forms.DateTimeField(label=_("Planned for"), widget=LocalDateTimeInput())
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
    )
    scenario = forms.CharField(label=_("Scenario"), required=False, max_length=200)


class DrillRecordForm(forms.Form):
    started_at = forms.DateTimeField(label=_("Restore started"), widget=LocalDateTimeInput())
    finished_at = forms.DateTimeField(
        label=_("Service back (restore complete)"), widget=LocalDateTimeInput()
    )
    run = forms.ModelChoiceField(
        label=_("Backup restored"), queryset=BackupRun.objects.none(), required=False
    )
    recovery_point = forms.DateTimeField(
        label=_("Recovery point reached"),
        required=False,
        widget=LocalDateTimeInput(),
        help_text=_("Empty: the recovery point of the backup restored."),
    )
    data_verified = forms.BooleanField(
        label=_("Restored data checked and complete"), required=False
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was restored where, what was checked, the commands' output."),
    )
    evidence_url = forms.URLField(label=_("Evidence link"), required=False, assume_scheme="https")

    def __init__(self, *args, target: BackupTarget, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["run"].queryset = (
            BackupRun.objects.filter(target=target, status__in=BackupRun.HOLDS_DATA)
            .select_related("target")
            .order_by("-recovery_point")
        )
