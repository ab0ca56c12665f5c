"""Change pages: list, inbox, detail, create/edit, and one POST view per kind of write.

Thin: parse a form, call one service through itsm.web.run_action, redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents.selectors import incidents_caused_by_change
from itsm.errors import DomainError
from itsm.models import AuditEvent
from itsm.pagecache import cached_page, part, shared_object, shared_page
from itsm.web import flash_form_errors, run_action, run_form_action

from .. import forms, risk, selectors
from .. import services as svc
from ..actions import ACTIONS, available_actions, blocked_actions
from ..filters import ChangeFilterSet
from ..models import Change, ChangeClassPolicy, StandardTemplate, Status
from ..models.change import may_edit, may_implement, may_verify
from ..services.impact import freeze_periods_for, lead_days
from ..services.implementation import PRECHECK_STATES, WORK_LOG_STATES

WEB = AuditEvent.Source.WEB
PAGE_SIZES = (25, 50, 100)
BEFORE_APPROVAL = {
    Status.DRAFT, Status.SUBMITTED, Status.ASSESSED, Status.AWAITING_APPROVAL, Status.REJECTED,
}  # fmt: skip


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("page_size", PAGE_SIZES[0]))
    except ValueError:
        return PAGE_SIZES[0]
    return size if size in PAGE_SIZES else PAGE_SIZES[0]


@cached_page(shared_when=ChangeFilterSet.same_for_everyone)
def change_list(request):
    filterset = ChangeFilterSet(request.GET or None, queryset=selectors.change_list(),
                                request=request)  # fmt: skip
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    page = Paginator(queryset, _page_size(request)).get_page(request.GET.get("page"))
    return render(
        request,
        "changes/change_list.html",
        {
            "filter": filterset,
            "page": page,
            "changes": page.object_list,
            "page_sizes": PAGE_SIZES,
            "classes": Change.Class.choices,
            "states": Status.choices,
            "now": timezone.now(),
        },
    )


def inbox(request):
    page = Paginator(selectors.awaiting_my_approval(request.user), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "changes/inbox.html",
        {"changes": page.object_list, "page": page, "now": timezone.now()},
    )


def _action_forms(change: Change, actions) -> dict:
    initial_window = {
        "planned_start": timezone.localtime(change.planned_start) if change.planned_start else None,
        "planned_end": timezone.localtime(change.planned_end) if change.planned_end else None,
        "implementer": change.implementer_id,
    }
    built = {}
    for action in actions:
        form_class = TRANSITIONS[action.name][0]
        if action.name in {"schedule", "reschedule"}:
            built[action.name] = form_class(initial=initial_window, auto_id=f"id_{action.name}_%s")
        elif action.name == "assess":
            built[action.name] = form_class(
                initial={"change_class": change.change_class}, auto_id="id_assess_%s"
            )
        else:
            built[action.name] = form_class(auto_id=f"id_{action.name}_%s")
    return built


# What the stored detail page shows of the clock moves by the day (lead days of a draft,
# review overdue); what the reader may do now is worked out on every request.
DETAIL_SECONDS = 300


def change_detail(request, pk: int):
    try:
        change = shared_object(
            request, f"change:{pk}", lambda: selectors.change_for_detail(pk), seconds=DETAIL_SECONDS
        )
    except Change.DoesNotExist:
        raise Http404(_("No such change.")) from None
    user = request.user
    actions = available_actions(change, user)
    mine = {
        "actions": actions,
        "blocked": blocked_actions(change, user),
        "can_edit": change.status == Status.DRAFT and may_edit(change, user),
        "can_precheck": change.status in PRECHECK_STATES and may_implement(change, user),
        "can_verify": change.status == Status.VERIFYING and may_verify(change, user),
        "can_log": change.status in WORK_LOG_STATES
        and (may_implement(change, user) or may_verify(change, user)),
    }
    # Everything on the page that depends on who reads it: users who get the same answers
    # (and have the same permissions) share one stored page.
    decisions = (
        tuple(action.name for action in actions),
        tuple((action.name, reason) for action, reason in mine["blocked"]),
        *(mine[flag] for flag in ("can_edit", "can_precheck", "can_verify", "can_log")),
    )
    # Incidents are written far more often than changes: the card of the incidents this
    # change caused is worked out for every answer, so that an incident write leaves the
    # rest of the stored page in place.
    caused = {"caused-incidents": lambda: _caused_incidents_card(request, change.pk)}
    return shared_page(
        request,
        decisions,
        lambda: _render_detail(request, change, mine),
        seconds=DETAIL_SECONDS,
        parts=caused,
    )


def _caused_incidents_card(request, change_pk: int) -> str:
    """The card's HTML, itself kept until an incident (or its service or team) is written."""

    def render_card():
        incidents = incidents_caused_by_change(change_pk)[:20]
        context = {"caused_incidents": incidents}
        return render_to_string("changes/_caused_incidents.html", context)

    name = f"caused-incidents:{change_pk}:{translation.get_language()}"
    return shared_object(request, name, render_card, seconds=DETAIL_SECONDS)


def _render_detail(request, change: Change, mine: dict):
    in_calendar = change.status in {
        Status.DRAFT, Status.SUBMITTED, Status.ASSESSED, Status.AWAITING_APPROVAL,
        Status.APPROVED, Status.SCHEDULED,
    }  # fmt: skip
    context = {
        **mine,
        "change": change,
        "policy": change.policy,
        "action_forms": _action_forms(change, mine["actions"]),
        "timeline": selectors.timeline(change),
        "risk_factors": risk.explain(change.risk_reasons),
        "prechecks": change.checklist("precheck"),
        "verifications": change.checklist("verification"),
        "tally": change.tally(),
        "freezes": freeze_periods_for(change) if in_calendar else [],
        "lead_days": lead_days(change, change.submitted_at or timezone.now())
        if in_calendar
        else None,
        "check_results": forms.ChecklistItem.Result.choices,
        "show_implementation": change.status not in BEFORE_APPROVAL,
        "now": timezone.now(),
        "caused_incidents_card": part(request, "caused-incidents"),
    }
    return render(request, "changes/change_detail.html", context)


def _form_save(form, build):
    """Run `build()` if the form is valid; map domain errors onto the form."""
    if not form.is_valid():
        return None
    try:
        return build()
    except PermissionDenied:
        raise
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
    return None


def change_create(request):
    if not request.user.has_perm("changes.add_change"):
        raise PermissionDenied
    form = forms.ChangeForm(request.POST or None, initial={"change_class": "normal"})
    if request.method == "POST":
        change = _form_save(
            form,
            lambda: svc.change_create(
                actor=request.user,
                source=WEB,
                services=form.cleaned_data["services"],
                **form.service_fields(),
            ),  # fmt: skip
        )
        if change is not None:
            messages.success(
                request,
                _("Draft %(ref)s saved. Submit it when the plans are complete.")
                % {"ref": change.reference},
            )
            return redirect(change)
    templates = StandardTemplate.objects.filter(status=StandardTemplate.Status.APPROVED)[:20]
    return render(
        request,
        "changes/change_form.html",
        {"form": form, "templates": templates, "policies": ChangeClassPolicy.objects.all()},
    )


def change_edit(request, pk: int):
    change = get_object_or_404(Change, pk=pk)
    if not may_edit(change, request.user):
        raise PermissionDenied
    if change.status != Status.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect(change)
    form = forms.ChangeForm(request.POST or None, instance=change)
    if request.method == "POST":
        saved = _form_save(
            form,
            lambda: svc.change_update(
                change_id=change.pk,
                actor=request.user,
                source=WEB,
                services=form.cleaned_data["services"],
                **form.service_fields(),
            ),  # fmt: skip
        )
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect(saved)
        change.refresh_from_db()
    return render(
        request,
        "changes/change_form.html",
        {"form": form, "change": change, "policies": ChangeClassPolicy.objects.all()},
    )


@require_POST
def change_delete(request, pk: int):
    if run_action(
        request,
        lambda: svc.change_delete(change_id=pk, actor=request.user, source=WEB),
        _("The draft was deleted."),
    ):
        return redirect("changes:list")
    return redirect("changes:detail", pk=pk)


def _maybe_meeting(data):
    meeting = data.get("meeting")
    return meeting.pk if meeting else None


TRANSITIONS = {
    "submit": (forms.NoInputForm, lambda pk, u, d: svc.change_submit(
        change_id=pk, actor=u, source=WEB)),
    "assess": (forms.AssessForm, lambda pk, u, d: svc.change_assess(
        change_id=pk, actor=u, source=WEB, change_class=d["change_class"], note=d["note"])),
    "request_approval": (forms.NoInputForm, lambda pk, u, d: svc.change_request_approval(
        change_id=pk, actor=u, source=WEB)),
    "approve": (forms.CommentInputForm, lambda pk, u, d: svc.change_approve(
        change_id=pk, actor=u, source=WEB, comment=d["comment"])),
    "reject": (forms.RejectForm, lambda pk, u, d: svc.change_reject(
        change_id=pk, actor=u, source=WEB, comment=d["comment"])),
    "vote": (forms.VoteForm, lambda pk, u, d: svc.change_vote(
        change_id=pk, actor=u, source=WEB, decision=d["decision"], comment=d["comment"],
        meeting_id=_maybe_meeting(d))),
    "schedule": (forms.ScheduleForm, lambda pk, u, d: svc.change_schedule(
        change_id=pk, actor=u, source=WEB, planned_start=d["planned_start"],
        planned_end=d["planned_end"], implementer=d["implementer"])),
    "reschedule": (forms.ScheduleForm, lambda pk, u, d: svc.change_reschedule(
        change_id=pk, actor=u, source=WEB, planned_start=d["planned_start"],
        planned_end=d["planned_end"], implementer=d["implementer"])),
    "start": (forms.NoInputForm, lambda pk, u, d: svc.change_start(
        change_id=pk, actor=u, source=WEB)),
    "finish": (forms.FinishForm, lambda pk, u, d: svc.change_finish(
        change_id=pk, actor=u, source=WEB, note=d["note"])),
    "verify": (forms.VerifyForm, lambda pk, u, d: svc.change_verify(
        change_id=pk, actor=u, source=WEB, report=d["report"])),
    "fail": (forms.FailForm, lambda pk, u, d: svc.change_fail(
        change_id=pk, actor=u, source=WEB, reason=d["reason"])),
    "roll_back": (forms.RollBackForm, lambda pk, u, d: svc.change_roll_back(
        change_id=pk, actor=u, source=WEB, notes=d["notes"])),
    "start_review": (forms.ReviewForm, lambda pk, u, d: svc.change_start_review(
        change_id=pk, actor=u, source=WEB, cause_analysis=d["cause_analysis"])),
    "close": (forms.CloseForm, lambda pk, u, d: svc.change_close(
        change_id=pk, actor=u, source=WEB, summary=d["summary"])),
    "cancel": (forms.CancelForm, lambda pk, u, d: svc.change_cancel(
        change_id=pk, actor=u, source=WEB, reason=d["reason"])),
}  # fmt: skip


def _back(request, pk: int):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect("changes:detail", pk=pk)


@require_POST
def change_transition(request, pk: int, verb: str):
    """POST /changes/<pk>/do/<verb>/: one transition through its service."""
    if verb not in TRANSITIONS:
        raise Http404
    form_class, call = TRANSITIONS[verb]
    form = form_class(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return _back(request, pk)
    run_action(
        request,
        lambda: call(pk, request.user, form.cleaned_data),
        _("%(action)s: done.") % {"action": ACTIONS[verb].label},
    )
    return _back(request, pk)


def _on_detail(pk: int, anchor: str):
    return redirect(f"{Change(pk=pk).get_absolute_url()}#{anchor}")


@require_POST
def change_check(request, pk: int, item_pk: int):
    run_form_action(
        request,
        forms.CheckForm(request.POST),
        lambda data: svc.change_check_item(
            change_id=pk, item_id=item_pk, actor=request.user, source=WEB,
            result=data["result"], note=data["note"],
        ),
    )  # fmt: skip
    return _on_detail(pk, "checks")


@require_POST
def change_backup(request, pk: int):
    run_form_action(
        request,
        forms.BackupForm(request.POST),
        lambda data: svc.change_confirm_backup(
            change_id=pk, actor=request.user, source=WEB, reference=data["reference"]
        ),
        _("Backup confirmed."),
    )
    return _on_detail(pk, "checks")


@require_POST
def change_work_log(request, pk: int):
    run_form_action(
        request,
        forms.TextForm(request.POST),
        lambda data: svc.change_log_work(
            change_id=pk, actor=request.user, source=WEB, text=data["text"]
        ),
    )
    return _on_detail(pk, "work-log")


@require_POST
def change_comment(request, pk: int):
    run_form_action(
        request,
        forms.TextForm(request.POST),
        lambda data: svc.change_comment(
            change_id=pk, actor=request.user, source=WEB, text=data["text"]
        ),
    )
    return _on_detail(pk, "timeline")
