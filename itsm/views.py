from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.http import HttpResponsePermanentRedirect, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import PreferencesForm
from .models import Service, Team
from .mywork import sections_for


@login_not_required
def favicon(request):
    """Browsers ask for /favicon.ico on pages without an icon link (the API docs, a PDF, a
    JSON response); answering 404 there shows up as an error in the console."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


def home(request):
    """My work: tickets assigned to me and to my teams, from every workflow app."""
    teams = request.user.teams.all()
    return render(
        request,
        "itsm/home.html",
        {"sections": sections_for(request.user), "teams": teams},
    )


@login_required
def preferences(request):
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        messages.success(request, _("Your preferences were saved."))
        response = redirect("preferences")
        if user.language:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
        return response
    return render(request, "itsm/preferences.html", {"form": form})


@login_not_required
@require_POST
def set_language(request):
    """The navbar switcher: remember the language on the user and in the cookie."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    return response


def service_list(request):
    services = Service.objects.select_related("owner_team").prefetch_related("depends_on")
    team = request.GET.get("team")
    if team:
        services = services.filter(owner_team__slug=team)
    return render(
        request,
        "itsm/service_list.html",
        {"services": services, "teams": Team.objects.all(), "team": team},
    )
