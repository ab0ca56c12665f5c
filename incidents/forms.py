"""Page forms: they parse input; the services decide."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from itsm.models import Service, Team

from .models import BusinessImpact, Incident, Priority, Scope, Urgency

User = get_user_model()
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _active_users():
    return User.objects.filter(is_active=True).order_by("username")


class TriageFields(forms.Form):
    # No preselected answer: a default would quietly file everything as P1 (or as P4).
    scope = forms.ChoiceField(label=_("Scope"), choices=[("", "---------"), *Scope.choices])
    business_impact = forms.ChoiceField(
        label=_("Business impact"), choices=[("", "---------"), *BusinessImpact.choices]
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=[("", "---------"), *Urgency.choices])


class ReportForm(TriageFields):
    title = forms.CharField(label=_("Title"), max_length=200)
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.filter(is_active=True)
    )
    description = forms.CharField(
        label=_("What is happening?"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    detected_by = forms.ChoiceField(
        label=_("Detected by"), choices=Incident.Source.choices, initial=Incident.Source.USER
    )
    detected_at = forms.DateTimeField(
        label=_("Detected at"),
        required=False,
        widget=DATETIME_WIDGET,
        help_text=_("Leave empty for now."),
    )
    affected_services = forms.ModelMultipleChoiceField(
        label=_("Affected services"),
        queryset=Service.objects.filter(is_active=True),
        required=False,
        help_text=_("Empty: the service and everything that depends on it."),
    )
    is_major = forms.BooleanField(label=_("Major incident"), required=False)

    field_order = ["title", "service", "description", "scope", "business_impact", "urgency"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and not user.has_perm("incidents.declare_major"):
            del self.fields["is_major"]


class TriageForm(TriageFields):
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=_active_users(), required=False)
    affected_services = forms.ModelMultipleChoiceField(
        label=_("Affected services"),
        queryset=Service.objects.filter(is_active=True),
        required=False,
    )
    is_major = forms.BooleanField(label=_("Major incident"), required=False)


def initial_for(verb: str, incident) -> dict:
    """What the action forms on the detail page start from: the incident as it is."""
    if verb == "triage":
        return {
            "scope": incident.scope,
            "business_impact": incident.business_impact,
            "urgency": incident.urgency,
            "team": incident.team_id,
            "assignee": incident.assignee_id,
            "affected_services": [s.pk for s in incident.affected_services.all()],
            "is_major": incident.is_major,
        }
    if verb == "assign":
        return {"team": incident.team_id, "assignee": incident.assignee_id}
    if verb == "prioritize":
        return {"priority": incident.priority}
    return {}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class RecoverForm(forms.Form):
    summary = forms.CharField(
        label=_("How was service restored?"), widget=forms.Textarea(attrs={"rows": 3})
    )


class WaitForm(forms.Form):
    question = forms.CharField(
        label=_("Question to the reporter"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ResumeForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer or note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class OverridePriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class EscalateForm(forms.Form):
    level = forms.IntegerField(
        label=_("To level"), required=False, min_value=1, help_text=_("Empty: the next level.")
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all())
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=_active_users(), required=False)


class IncidentRefField(forms.CharField):
    """Accepts "INC-00042" or "42"."""

    def to_python(self, value):
        value = super().to_python(value).strip().upper()
        if value.startswith("INC-"):
            value = value[4:]
        if not value.isdigit():
            raise forms.ValidationError(_("Enter an incident number such as INC-00042."))
        return int(value)


class MergeForm(forms.Form):
    into = IncidentRefField(label=_("Duplicate of"))
    reason = forms.CharField(label=_("Reason"), required=False)


class ParentForm(forms.Form):
    parent = IncidentRefField(
        label=_("Parent incident"), required=False, help_text=_("Empty: detach.")
    )

    def clean_parent(self):
        value = self.cleaned_data.get("parent")
        return value or None


class ChangeLinkForm(forms.Form):
    change = forms.IntegerField(
        label=_("Change number"), min_value=1, required=False, help_text=_("Empty: unlink.")
    )
    reason = forms.CharField(label=_("Reason"), required=False)


class IncidentEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    affected_services = forms.ModelMultipleChoiceField(
        label=_("Affected services"),
        queryset=Service.objects.filter(is_active=True),
        required=False,
    )
    impact_started_at = forms.DateTimeField(
        label=_("Impact started at"), required=False, widget=DATETIME_WIDGET
    )


class PostmortemForm(forms.Form):
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    impact = forms.CharField(
        label=_("Impact"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    why_1 = forms.CharField(label=_("Why? (1)"), required=False)
    why_2 = forms.CharField(label=_("Why? (2)"), required=False)
    why_3 = forms.CharField(label=_("Why? (3)"), required=False)
    why_4 = forms.CharField(label=_("Why? (4)"), required=False)
    why_5 = forms.CharField(label=_("Why? (5)"), required=False)
    root_cause = forms.CharField(
        label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    resolution = forms.CharField(
        label=_("Resolution steps"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    prevention = forms.CharField(
        label=_("Prevention measures"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    @classmethod
    def for_postmortem(cls, postmortem, data=None):
        initial = {
            name: getattr(postmortem, name)
            for name in ("summary", "impact", "root_cause", "resolution", "prevention")
        }
        for index, why in enumerate(postmortem.five_whys[:5], start=1):
            initial[f"why_{index}"] = why
        return cls(data, initial=initial)

    def changes(self) -> dict:
        data = self.cleaned_data
        changes = {
            name: data[name]
            for name in ("summary", "impact", "root_cause", "resolution", "prevention")
        }
        changes["five_whys"] = [data[f"why_{i}"] for i in range(1, 6) if data.get(f"why_{i}")]
        return changes


class TimelineEntryForm(forms.Form):
    at = forms.DateTimeField(label=_("When"), widget=DATETIME_WIDGET)
    text = forms.CharField(label=_("What happened"), max_length=500)


class ActionItemForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=300)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=_active_users())
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all())
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False)


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("What should change?"), widget=forms.Textarea(attrs={"rows": 2})
    )
