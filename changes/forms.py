"""Page forms. They parse input only; every rule lives in the services."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from itsm.models import Service, Team, User

from .models import (
    CabMeeting,
    Change,
    ChangeClass,
    ChangeClassPolicy,
    ChecklistItem,
    Decision,
    FreezePeriod,
    MaintenanceWindow,
    StandardTemplate,
)

DATETIME = {"type": "datetime-local"}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def datetime_field(label, required=True, help_text=""):
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs=DATETIME, format=DATETIME_FORMAT),
    )


def people():
    return User.objects.filter(is_active=True).order_by("username")


def services():
    return Service.objects.filter(is_active=True).select_related("owner_team")


class ChangeForm(forms.ModelForm):
    services = forms.ModelMultipleChoiceField(
        label=_("Affected services"),
        queryset=Service.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Services that depend on them are added to the impact automatically."),
    )
    implementer = forms.ModelChoiceField(
        label=_("Implementer"), queryset=User.objects.none(), required=False
    )
    planned_start = datetime_field(_("Planned start"), required=False)
    planned_end = datetime_field(_("Planned end"), required=False)

    class Meta:
        model = Change
        fields = [
            "title", "change_class", "description", "owner_team", "services", "implementer",
            "affected_users", "affected_users_note", "causes_downtime", "changes_data",
            "tested_beforehand", "rollback_tested", "first_of_its_kind", "execution_plan",
            "rollback_plan", "backup_plan", "planned_start", "planned_end",
        ]  # fmt: skip
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "execution_plan": forms.Textarea(attrs={"rows": 4}),
            "rollback_plan": forms.Textarea(attrs={"rows": 3}),
            "backup_plan": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = services()
        self.fields["implementer"].queryset = people()
        self.fields["owner_team"].queryset = Team.objects.all()
        if self.instance.pk:
            self.initial.setdefault("services", list(self.instance.services.all()))
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("Request"),
                "title",
                Row(Column("change_class"), Column("owner_team"), Column("implementer")),
                "description",
            ),
            Fieldset(
                _("Impact"),
                "services",
                Row(Column("affected_users"), Column("affected_users_note")),
            ),
            Fieldset(
                _("Risk questionnaire"),
                Row(Column("causes_downtime"), Column("changes_data"), Column("first_of_its_kind")),
                Row(Column("tested_beforehand"), Column("rollback_tested")),
            ),
            Fieldset(_("Plans"), "execution_plan", "rollback_plan", "backup_plan"),
            Fieldset(_("Planned window"), Row(Column("planned_start"), Column("planned_end"))),
        )

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("services", None)
        return data


class TemplateChangeForm(forms.Form):
    """A change from an approved standard template: only the when and where are asked."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    services = forms.ModelMultipleChoiceField(
        label=_("Affected services"), queryset=Service.objects.none(), required=False
    )
    implementer = forms.ModelChoiceField(
        label=_("Implementer"), queryset=User.objects.none(), required=False
    )
    planned_start = datetime_field(_("Planned start"))
    planned_end = datetime_field(_("Planned end"), required=False)

    def __init__(self, *args, template: StandardTemplate, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = template.services.all()
        self.fields["services"].queryset = allowed if allowed.exists() else services()
        self.fields["services"].help_text = _("Leave empty to use the template's services.")
        self.fields["implementer"].queryset = people()
        self.fields["title"].initial = template.name
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Create the change")))


# --- transition inputs ---------------------------------------------------------------------


class NoInputForm(forms.Form):
    pass


class AssessForm(forms.Form):
    change_class = forms.ChoiceField(
        label=_("Class"),
        choices=[("", _("Keep the class")), *ChangeClass.choices],
        required=False,
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CommentInputForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RejectForm(forms.Form):
    comment = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}))


class VoteForm(forms.Form):
    decision = forms.ChoiceField(label=_("Vote"), choices=Decision.choices)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    meeting = forms.ModelChoiceField(
        queryset=CabMeeting.objects.all(), required=False, widget=forms.HiddenInput
    )


class ScheduleForm(forms.Form):
    """Empty fields keep the window the change was approved for."""

    planned_start = datetime_field(_("Planned start"), required=False)
    planned_end = datetime_field(_("Planned end"), required=False)
    implementer = forms.ModelChoiceField(
        label=_("Implementer"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["implementer"].queryset = people()


class FinishForm(forms.Form):
    note = forms.CharField(
        label=_("Work log entry"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class VerifyForm(forms.Form):
    report = forms.CharField(
        label=_("Completion report"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class FailForm(forms.Form):
    reason = forms.CharField(
        label=_("What failed (errors, performance below the SLO, side effects)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RollBackForm(forms.Form):
    notes = forms.CharField(
        label=_("How it was rolled back"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(forms.Form):
    cause_analysis = forms.CharField(
        label=_("Cause analysis"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class CloseForm(forms.Form):
    summary = forms.CharField(
        label=_("Review summary"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}))


# --- records ---------------------------------------------------------------------------------


class CheckForm(forms.Form):
    result = forms.ChoiceField(choices=ChecklistItem.Result.choices, required=False)
    note = forms.CharField(required=False, max_length=500)


class BackupForm(forms.Form):
    reference = forms.CharField(label=_("Backup reference"), max_length=200)


class TextForm(forms.Form):
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 2}))


# --- catalogue, CAB, calendar, policies -----------------------------------------------------


class TemplateForm(forms.ModelForm):
    services = forms.ModelMultipleChoiceField(
        label=_("Services"), queryset=Service.objects.none(), required=False
    )

    class Meta:
        model = StandardTemplate
        fields = [
            "name", "description", "owner_team", "services", "default_duration",
            "execution_plan", "rollback_plan", "backup_plan",
        ]  # fmt: skip
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "execution_plan": forms.Textarea(attrs={"rows": 4}),
            "rollback_plan": forms.Textarea(attrs={"rows": 3}),
            "backup_plan": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = services()
        if self.instance.pk:
            self.initial.setdefault("services", list(self.instance.services.all()))
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save")))


class CabMeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = datetime_field(_("Starts"))
    location = forms.CharField(label=_("Where"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Plan the meeting")))


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 4}))


class CalendarEntryForm(forms.ModelForm):
    start = datetime_field(_("Start"))
    end = datetime_field(_("End"))
    services = forms.ModelMultipleChoiceField(
        label=_("Services"),
        queryset=Service.objects.none(),
        required=False,
        help_text=_("Leave empty for every service."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = services()
        if self.instance.pk:
            self.initial.setdefault("services", list(self.instance.services.all()))
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save")))


class FreezeForm(CalendarEntryForm):
    class Meta:
        model = FreezePeriod
        fields = ["name", "description", "start", "end", "services"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class WindowForm(CalendarEntryForm):
    recur_until = datetime_field(_("Repeats until"), required=False)

    class Meta:
        model = MaintenanceWindow
        fields = ["name", "description", "start", "end", "recurrence", "recur_until", "services"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class PolicyForm(forms.ModelForm):
    class Meta:
        model = ChangeClassPolicy
        fields = [
            "approver_role", "required_approvals", "cab_vote", "quorum", "majority_percent",
            "auto_approve_from_template", "skip_assessment", "lead_time_business_days",
            "freeze_exempt", "review_required", "review_due_business_days",
            "approval_reminder_minutes",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save")))
