"""Incident pages: the triage queue, the list, the detail page and its actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from itsm.models import AuditEvent
from itsm.pagecache import cached_page
from itsm.web import flash_form_errors, run_action

from .. import permissions as perms
from .. import selectors, services
from ..actions import ACTIONS, available_actions
from ..filters import IncidentFilter
from ..forms import IncidentEditForm, ReportForm, initial_for
from ..models import Incident
from ..services.clocks import clocks_for_incident

PAGE_SIZE = 50


@cached_page(shared_when=perms.lists_same_for_every_responder)
def queue(request):
    """The on-call triage queue: what breaches first on top; htmx refreshes the rows."""
    mine = (request.GET.get("mine") or request.POST.get("mine")) == "1"
    teams = request.user.teams.all() if mine else None
    incidents = selectors.triage_queue(request.user, teams=teams)[:200]
    context = {"incidents": incidents, "mine": mine, "can_ack": request.user.has_perm(perms.WORK)}
    template = "incidents/queue.html#rows" if request.htmx else "incidents/queue.html"
    return render(request, template, context)


@cached_page(shared_when=perms.lists_same_for_every_responder)
def incident_list(request):
    filterset = IncidentFilter(
        request.GET or None, queryset=selectors.incident_list(request.user), request=request
    )
    qs = filterset.qs if filterset.is_bound else filterset.queryset
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/incident_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "can_report": request.user.has_perm(perms.ADD),
        },
    )


def incident_create(request):
    if not request.user.has_perm(perms.ADD):
        raise PermissionDenied
    form = ReportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = {}

        def report():
            created["incident"] = services.incident_report(
                actor=request.user,
                source=AuditEvent.Source.WEB,
                title=data["title"],
                service=data["service"],
                scope=data["scope"],
                business_impact=data["business_impact"],
                urgency=data["urgency"],
                description=data["description"],
                detected_by=data["detected_by"],
                detected_at=data["detected_at"],
                affected_services=data["affected_services"] or None,
                is_major=data.get("is_major", False),
            )

        if run_action(request, report):
            incident = created["incident"]
            messages.success(
                request,
                _("%(ref)s reported with priority %(priority)s.")
                % {"ref": incident.reference, "priority": incident.priority},
            )
            return redirect(incident)
    return render(request, "incidents/incident_form.html", {"form": form})


def _detail_context(request, incident: Incident) -> dict:
    actions = available_actions(incident, request.user)
    return {
        "incident": incident,
        "actions": actions,
        "simple_actions": [a for a in actions if a.form is None],
        "form_actions": [
            (a, a.form(prefix=a.verb, initial=initial_for(a.verb, incident)))
            for a in actions
            if a.form is not None
        ],
        "events": selectors.incident_events(incident),
        "clocks": clocks_for_incident(incident),
        "notifications": selectors.incident_notifications(incident)[:100],
        "postmortem": getattr(incident, "postmortem", None),
        "can_start_postmortem": request.user.has_perm(perms.WRITE_POSTMORTEM),
        "can_edit": request.user.has_perm(perms.EDIT) and incident.is_active,
    }


def _get(request, pk: int) -> Incident:
    try:
        return selectors.incident_detail(pk, request.user)
    except Incident.DoesNotExist:
        raise Http404(_("No such incident.")) from None


def incident_detail(request, pk: int):
    incident = _get(request, pk)
    return render(request, "incidents/incident_detail.html", _detail_context(request, incident))


def incident_live(request, pk: int):
    """The parts of the detail page that change: status, clocks, escalation, timeline."""
    incident = _get(request, pk)
    return render(
        request, "incidents/incident_detail.html#live", _detail_context(request, incident)
    )


@require_POST
def incident_action(request, pk: int, verb: str):
    action = ACTIONS.get(verb)
    if action is None:
        raise Http404
    incident = get_object_or_404(Incident.objects.visible_to(request.user), pk=pk)
    data = {}
    if action.form is not None:
        form = action.form(request.POST, prefix=verb)
        if not form.is_valid():
            flash_form_errors(request, form)
            return redirect(incident)
        data = form.cleaned_data
    run_action(
        request,
        lambda: action.run(incident.pk, request.user, AuditEvent.Source.WEB, data),
        success=str(action.success) or None,
    )
    if request.htmx and request.POST.get("next") == "queue":
        return queue(request)
    return redirect(incident)


def incident_edit(request, pk: int):
    if not request.user.has_perm(perms.EDIT):
        raise PermissionDenied
    incident = _get(request, pk)
    initial = {
        "title": incident.title,
        "description": incident.description,
        "affected_services": list(incident.affected_services.all()),
        "impact_started_at": incident.impact_started_at,
    }
    form = IncidentEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data}
        if "affected_services" in changes:
            changes["affected_services"] = list(changes["affected_services"])
        if not changes or run_action(
            request,
            lambda: services.incident_update(
                incident_id=incident.pk, actor=request.user, source=AuditEvent.Source.WEB, **changes
            ),
            success=_("Saved."),
        ):
            return redirect(incident)
    return render(request, "incidents/incident_edit.html", {"form": form, "incident": incident})
