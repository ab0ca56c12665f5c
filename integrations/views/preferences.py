"""My notification preferences: which events e-mail me, about what, in which language."""

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from itsm.web import run_action

from .. import services
from ..forms import PreferencesForm


def preferences(request):
    pref, events = services.preferences_for(request.user)
    initial = {"event_types": sorted(events), "scope": pref.scope, "language": pref.language}
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_action(
            request,
            lambda: services.preferences_update(
                user=request.user,
                language=data["language"],
                scope=data["scope"],
                event_types=data["event_types"],
            ),
            _("Notification preferences saved."),
        ):
            return redirect("integrations:preferences")
    return render(
        request,
        "integrations/preferences.html",
        {
            "form": form,
            "has_email": bool(request.user.email),
        },
    )
