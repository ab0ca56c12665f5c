"""CAB meeting pages: plan, agenda with votes, minutes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from itsm.web import flash_form_errors, run_action

from .. import forms
from .. import services as svc
from ..models import Approval, CabMeeting, Change
from ..models.change import may_vote
from .pages import WEB, _form_save


def cab_list(request):
    meetings = CabMeeting.objects.select_related("chair").prefetch_related("agenda")
    return render(
        request,
        "changes/cab_list.html",
        {
            "meetings": meetings,
            "awaiting": svc.cab.awaiting_cab_decision().select_related("requester"),
            "can_plan": request.user.has_perm("changes.add_cabmeeting"),
            "now": timezone.now(),
        },
    )


def cab_create(request):
    if not request.user.has_perm("changes.add_cabmeeting"):
        raise PermissionDenied
    form = forms.CabMeetingForm(request.POST or None)
    if request.method == "POST":
        data = form.cleaned_data if form.is_valid() else {}
        meeting = _form_save(
            form,
            lambda: svc.cab_meeting_create(actor=request.user, source=WEB, **data),
        )
        if meeting is not None:
            messages.success(request, _("Meeting planned with %(n)s changes on the agenda.")
                             % {"n": meeting.agenda.count()})  # fmt: skip
            return redirect(meeting)
    return render(request, "changes/cab_form.html", {"form": form})


def cab_detail(request, pk: int):
    meeting = get_object_or_404(CabMeeting.objects.select_related("chair"), pk=pk)
    agenda = list(
        meeting.agenda.select_related("requester", "implementer")
        .prefetch_related(
            "services",
            Prefetch("approvals", queryset=Approval.objects.select_related("approver")),
        )
        .order_by("planned_start")
    )
    rows = []
    for change in agenda:
        rows.append(
            {
                "change": change,
                "tally": change.tally(),
                "policy": change.policy,
                "may_vote": change.status == Change.Status.AWAITING_APPROVAL
                and may_vote(change, request.user),
                "form": forms.VoteForm(initial={"meeting": meeting.pk}, auto_id=f"v{change.pk}_%s"),
            }
        )
    return render(
        request,
        "changes/cab_detail.html",
        {
            "meeting": meeting,
            "rows": rows,
            "can_manage": meeting.status == CabMeeting.Status.PLANNED
            and request.user.has_perm("changes.change_cabmeeting"),
            "minutes_form": forms.MinutesForm(),
        },
    )


@require_POST
def cab_action(request, pk: int, verb: str):
    if verb == "refresh":
        run_action(
            request,
            lambda: svc.cab_meeting_refresh_agenda(meeting_id=pk, actor=request.user, source=WEB),
            _("Agenda updated."),
        )
    elif verb == "close":
        form = forms.MinutesForm(request.POST)
        if form.is_valid():
            run_action(
                request,
                lambda: svc.cab_meeting_close(meeting_id=pk, actor=request.user, source=WEB,
                                              minutes=form.cleaned_data["minutes"]),
                _("Meeting closed."),
            )  # fmt: skip
        else:
            flash_form_errors(request, form)
    return redirect("changes:cab_detail", pk=pk)
