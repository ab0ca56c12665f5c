"""Release pages. Thin: parse, call one service, render."""

from __future__ import annotations

import csv
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from itsm.audit import Source
from itsm.web import available_transitions, run_action

from . import dora, gates, links, selectors, services
from . import permissions as perms
from .filters import ReleaseFilter
from .forms import (
    DeploymentRecordForm,
    ItemFormSet,
    LinkIncidentForm,
    ReasonForm,
    ReleaseForm,
    items_from_formset,
)
from .models import Release
from .notes import notes_context, notes_markdown
from .services.release import NEEDS_REASON, TRANSITIONS

# Button colours of the detail page, by transition.
BUTTON_STYLES = {
    "start_testing": "primary",
    "promote_to_staging": "primary",
    "start_canary": "primary",
    "promote_to_production": "success",
    "complete": "success",
    "fail_test": "warning",
    "fail_staging": "warning",
    "rollback": "danger",
    "cancel": "outline-secondary",
}


def release_list(request):
    filterset = ReleaseFilter(
        request.GET or None, queryset=selectors.release_list(), request=request
    )
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "releases/release_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "can_add": request.user.has_perm(perms.ADD),
        },
    )


def _release_form_page(request, release: Release | None):
    form = ReleaseForm(request.POST or None, instance=release)
    formset = ItemFormSet(request.POST or None, instance=release or Release(), prefix="items")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        kwargs = form.service_kwargs()
        items = items_from_formset(formset)
        saved: list[Release] = []

        def action():
            if release is None:
                saved.append(
                    services.release_create(
                        actor=request.user, source=Source.WEB, items=items, **kwargs
                    )
                )
            else:
                saved.append(
                    services.release_update(
                        release_id=release.pk,
                        actor=request.user,
                        source=Source.WEB,
                        items=items,
                        **kwargs,
                    )
                )

        if run_action(request, action, _("The release was saved.")):
            return redirect(saved[0])
    return render(
        request,
        "releases/release_form.html",
        {"form": form, "formset": formset, "release": release},
    )


def release_create(request):
    if not request.user.has_perm(perms.ADD):
        raise PermissionDenied
    return _release_form_page(request, None)


def release_edit(request, pk: int):
    release = get_object_or_404(Release, pk=pk)
    if not request.user.has_perm(perms.CHANGE):
        raise PermissionDenied
    if release.is_finished:
        messages.error(request, _("A finished release can no longer be edited."))
        return redirect(release)
    return _release_form_page(request, release)


def release_detail(request, pk: int):
    try:
        release = selectors.release_detail(pk)
    except Release.DoesNotExist:
        raise Http404 from None
    allowed = [t.name for t in available_transitions(release, request.user, field="stage")]
    buttons = [
        {
            "verb": verb,
            "label": _label(verb),
            "style": BUTTON_STYLES[verb],
            "needs_reason": verb in NEEDS_REASON,
        }
        for verb in TRANSITIONS
        if verb in allowed
    ]
    can_report = request.user.has_perm(perms.REPORT)
    return render(
        request,
        "releases/release_detail.html",
        {
            "release": release,
            "buttons": buttons,
            "next_gates": [(v, _label(v), g) for v, g in gates.next_gates(release)],
            "steps": selectors.stage_progress(release),
            "timeline": selectors.release_timeline(release),
            "deploy_form": DeploymentRecordForm(release=release) if can_report else None,
            "link_form": _link_form(release, request.user),
            "incident_links": _incident_links(release),
            "can_edit": request.user.has_perm(perms.CHANGE) and not release.is_finished,
            "can_read_incidents": request.user.has_perm(links.INCIDENTS_VIEW),
        },
    )


def _link_form(release: Release, user) -> LinkIncidentForm | None:
    """Only where a deployment reached users (canary or production) and the user may link."""
    live = [d for d in release.deployments.all() if d.environment in ("canary", "production")]
    if not live or not user.has_perm(perms.LINK_INCIDENT):
        return None
    return LinkIncidentForm(release=release)


def _incident_links(release: Release) -> list:
    from .models import DeploymentIncident

    return list(
        DeploymentIncident.objects.filter(deployment__release=release).select_related(
            "deployment", "incident"
        )
    )


def _label(verb: str) -> str:
    return {
        "start_testing": _("Start testing"),
        "fail_test": _("Tests failed"),
        "promote_to_staging": _("Promote to staging"),
        "fail_staging": _("Staging failed"),
        "start_canary": _("Start canary"),
        "promote_to_production": _("Promote to production"),
        "rollback": _("Roll back"),
        "complete": _("Mark done"),
        "cancel": _("Cancel release"),
    }[verb]


def _success(verb: str) -> str:
    return {
        "start_testing": _("Testing started: a new test round is open."),
        "fail_test": _("The release is back in development."),
        "promote_to_staging": _("Promoted to staging."),
        "fail_staging": _("The release is back in development."),
        "start_canary": _("The canary is live."),
        "promote_to_production": _("Promoted to production."),
        "rollback": _("Rolled back. The reason is recorded."),
        "complete": _("The release is done."),
        "cancel": _("The release was cancelled."),
    }[verb]


@require_POST
def release_transition(request, pk: int, verb: str):
    release = get_object_or_404(Release, pk=pk)
    if verb not in TRANSITIONS:
        raise Http404
    form = ReasonForm(request.POST)
    form.is_valid()
    run_action(
        request,
        lambda: services.release_transition(
            release_id=release.pk,
            verb=verb,
            actor=request.user,
            source=Source.WEB,
            reason=form.cleaned_data.get("reason", ""),
        ),
        _success(verb),
    )
    return redirect(release)


@require_POST
def deployment_record(request, pk: int):
    release = get_object_or_404(Release, pk=pk)
    form = DeploymentRecordForm(request.POST, release=release)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                label = form.fields[field].label if field in form.fields else ""
                messages.error(request, f"{label} {error}".strip())
        return redirect(release)
    data = form.cleaned_data
    run_action(
        request,
        lambda: services.deployment_report(
            release_id=release.pk,
            actor=request.user,
            source=Source.WEB,
            pipeline="manual",
            version=release.version,
            **data,
        ),
        _("The deployment was recorded."),
    )
    return redirect(release)


@require_POST
def incident_link(request, pk: int):
    release = get_object_or_404(Release, pk=pk)
    form = LinkIncidentForm(request.POST, release=release)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(release)
    run_action(
        request,
        lambda: services.deployment_link_incident(
            deployment_id=form.cleaned_data["deployment"].pk,
            incident_id=form.cleaned_data["incident"].pk,
            actor=request.user,
            source=Source.WEB,
        ),
        _("The incident was linked to the deployment."),
    )
    return redirect(release)


def release_notes(request, pk: int):
    try:
        release = selectors.release_detail(pk)
    except Release.DoesNotExist:
        raise Http404 from None
    context = notes_context(release, links.content_sections(release, request.user))
    return render(request, "releases/release_notes.html", context)


def release_notes_markdown(request, pk: int):
    try:
        release = selectors.release_detail(pk)
    except Release.DoesNotExist:
        raise Http404 from None
    response = HttpResponse(
        notes_markdown(release, links.content_sections(release, request.user)),
        content_type="text/markdown; charset=utf-8",
    )
    filename = f"release-notes-{release.version}.md"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _month_from(request) -> date:
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in request.GET.get("month", "").split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        return today.replace(day=1)


def release_calendar(request):
    first = _month_from(request)
    data = selectors.calendar_month(first.year, first.month)
    previous = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    try:
        change_calendar = reverse("changes:calendar")
    except NoReverseMatch:
        change_calendar = None
    return render(
        request,
        "releases/release_calendar.html",
        {
            **data,
            "previous": previous,
            "following": following,
            "today": timezone.localdate(),
            "change_calendar": change_calendar,
        },
    )


def release_calendar_ics(request):
    """Planned releases as an iCalendar feed for calendar applications."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//ITSM portal//releases//EN")
    cal.add("version", "2.0")
    since = timezone.now() - timedelta(days=90)
    for release in Release.objects.filter(planned_at__gte=since).order_by("planned_at")[:1000]:
        event = Event()
        event.add("uid", f"release-{release.pk}@itsm")
        event.add("summary", f"{_('Release')} {release}")
        event.add("dtstart", release.planned_at)
        event.add("dtend", release.planned_at + timedelta(hours=1))
        event.add("dtstamp", release.updated_at)
        event.add("url", request.build_absolute_uri(release.get_absolute_url()))
        event.add("status", "CANCELLED" if release.stage == "cancelled" else "CONFIRMED")
        cal.add_component(event)
    return HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")


def _dora_period(request) -> tuple[date, date, list[int] | None]:
    today = timezone.localdate()
    try:
        months = max(1, min(int(request.GET.get("months", 6)), 36))
    except ValueError:
        months = 6
    last = today.replace(day=1)
    first = last
    for _i in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    service_ids = [int(s) for s in request.GET.getlist("service") if s.isdigit()] or None
    return first, today, service_ids


def dora_report(request):
    from itsm.models import Service

    first, last, service_ids = _dora_period(request)
    rows = dora.dora_table(first=first, last=last, services=service_ids)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="dora.csv"'
        writer = csv.writer(response)
        header = list(rows[0].as_dict()) if rows else ["service", "month"]
        writer.writerow(header)
        for row in rows:
            values = row.as_dict()
            writer.writerow([values["service"] or _("All services"), *list(values.values())[1:]])
        return response
    return render(
        request,
        "releases/dora.html",
        {
            "rows": rows,
            "first": first,
            "last": last,
            "services": Service.objects.all(),
            "selected": service_ids or [],
            "months": request.GET.get("months", "6"),
            "query": request.GET.urlencode(),
        },
    )
