"""Postmortem pages, action items and the notification inbox."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from itsm.models import AuditEvent
from itsm.web import available_transitions, flash_form_errors, run_action, run_form_action

from .. import permissions as perms
from .. import selectors, services
from ..filters import ActionItemFilter
from ..forms import (
    ActionItemForm,
    CommentForm,
    NoteForm,
    PostmortemForm,
    ReasonForm,
    TimelineEntryForm,
)
from ..models import ActionItem, Incident, Postmortem

WEB = AuditEvent.Source.WEB


def _postmortem(request, incident_id: int) -> Postmortem:
    if not Incident.objects.visible_to(request.user).filter(pk=incident_id).exists():
        raise Http404
    try:
        return selectors.postmortem_detail(incident_id)
    except Postmortem.DoesNotExist:
        raise Http404(_("This incident has no postmortem yet.")) from None


@require_POST
def postmortem_start(request, pk: int):
    get_object_or_404(Incident.objects.visible_to(request.user), pk=pk)
    if run_action(
        request, lambda: services.postmortem_start(incident_id=pk, actor=request.user, source=WEB)
    ):
        return redirect("incidents:postmortem", pk)
    return redirect("incidents:detail", pk)


def postmortem_detail(request, pk: int):
    postmortem = _postmortem(request, pk)
    can_write = request.user.has_perm(perms.WRITE_POSTMORTEM)
    form = PostmortemForm.for_postmortem(
        postmortem, request.POST if request.method == "POST" else None
    )
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied
        if form.is_valid() and run_action(
            request,
            lambda: services.postmortem_update(
                postmortem_id=postmortem.pk, actor=request.user, source=WEB, **form.changes()
            ),
            success=_("Saved."),
        ):
            return redirect("incidents:postmortem", pk)
    transitions = {t.name for t in available_transitions(postmortem, request.user)}
    return render(
        request,
        "incidents/postmortem_detail.html",
        {
            "postmortem": postmortem,
            "incident": postmortem.incident,
            "form": form,
            "can_write": can_write and postmortem.status == Postmortem.Status.DRAFT,
            "can_add_entries": can_write and postmortem.is_editable,
            "can_manage_items": request.user.has_perm(perms.MANAGE_ACTION_ITEMS),
            "transitions": transitions,
            "missing": postmortem.missing_sections(),
            "timeline": selectors.postmortem_timeline(postmortem),
            "facts": selectors.impact_facts(postmortem.incident),
            "entry_form": TimelineEntryForm(),
            "item_form": ActionItemForm(initial={"team": postmortem.incident.team_id}),
            "comment_form": CommentForm(),
        },
    )


def _submit(pm, user, data):
    return services.postmortem_submit(postmortem_id=pm.pk, actor=user, source=WEB)


def _publish(pm, user, data):
    return services.postmortem_publish(postmortem_id=pm.pk, actor=user, source=WEB)


def _request_changes(pm, user, data):
    return services.postmortem_request_changes(
        postmortem_id=pm.pk, actor=user, source=WEB, comment=data["comment"]
    )


POSTMORTEM_VERBS = {
    "submit": (_submit, None, gettext_lazy("Sent for review.")),
    "publish": (_publish, None, gettext_lazy("Published.")),
    "request-changes": (_request_changes, CommentForm, gettext_lazy("Sent back to the author.")),
}


@require_POST
def postmortem_action(request, pk: int, verb: str):
    if verb not in POSTMORTEM_VERBS:
        raise Http404
    postmortem = _postmortem(request, pk)
    run, form_class, success = POSTMORTEM_VERBS[verb]
    form = form_class(request.POST) if form_class is not None else forms.Form({})
    run_form_action(request, form, lambda data: run(postmortem, request.user, data), success)
    return redirect("incidents:postmortem", pk)


@require_POST
def postmortem_entry_add(request, pk: int):
    postmortem = _postmortem(request, pk)
    run_form_action(
        request,
        TimelineEntryForm(request.POST),
        lambda data: services.postmortem_add_entry(
            postmortem_id=postmortem.pk, actor=request.user, source=WEB, **data
        ),
        _("Added to the timeline."),
    )
    return redirect("incidents:postmortem", pk)


@require_POST
def postmortem_entry_remove(request, pk: int, entry_id: int):
    _postmortem(request, pk)
    run_action(
        request,
        lambda: services.postmortem_remove_entry(entry_id=entry_id, actor=request.user, source=WEB),
    )
    return redirect("incidents:postmortem", pk)


@require_POST
def action_item_add(request, pk: int):
    postmortem = _postmortem(request, pk)
    run_form_action(
        request,
        ActionItemForm(request.POST),
        lambda data: services.action_item_add(
            postmortem_id=postmortem.pk, actor=request.user, source=WEB, **data
        ),
        _("Action item added."),
    )
    return redirect("incidents:postmortem", pk)


@require_POST
def action_item_action(request, item_id: int, verb: str):
    item = get_object_or_404(ActionItem.objects.select_related("postmortem"), pk=item_id)
    if (
        not Incident.objects.visible_to(request.user)
        .filter(pk=item.postmortem.incident_id)
        .exists()
    ):
        raise Http404
    if verb == "complete":
        form = NoteForm(request.POST)
        form.is_valid()
        run_action(
            request,
            lambda: services.action_item_complete(
                item_id=item.pk,
                actor=request.user,
                source=WEB,
                note=form.cleaned_data.get("note", ""),
            ),
            success=_("Done."),
        )
    elif verb == "cancel":
        form = ReasonForm(request.POST)
        if form.is_valid():
            run_action(
                request,
                lambda: services.action_item_cancel(
                    item_id=item.pk,
                    actor=request.user,
                    source=WEB,
                    reason=form.cleaned_data["reason"],
                ),
                success=_("Cancelled."),
            )
        else:
            flash_form_errors(request, form)
    else:
        raise Http404
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = item.get_absolute_url()
    return redirect(next_url)


def action_item_list(request):
    data = request.GET.copy()
    if not data:
        data = {"owner": "me", "status": ActionItem.Status.OPEN}
    filterset = ActionItemFilter(data, queryset=selectors.action_items(), request=request)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(request, "incidents/action_item_list.html", {"filter": filterset, "page": page})


def notification_list(request):
    qs = selectors.notifications_for(request.user)
    if request.GET.get("unread") == "1":
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "incidents/notification_list.html",
        {"page": page, "unread_only": request.GET.get("unread") == "1"},
    )


@require_POST
def notifications_read(request):
    count = services.mark_read(user=request.user)
    messages.success(request, _("%(n)s notifications marked as read.") % {"n": count})
    return redirect("incidents:notifications")
