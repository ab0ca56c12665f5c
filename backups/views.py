"""Pages of the backups app. Thin: parse, call one service, render."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import TransitionNotAllowed

from itsm.errors import DomainError
from itsm.web import available_transitions, run_action, run_form_action

from . import selectors, services
from .filters import DrillFilter, RunFilter, TargetFilter
from .forms import (
    RUN_FORMS,
    DrillPlanForm,
    DrillRecordForm,
    PolicyForm,
    ReasonForm,
    TargetForm,
)
from .models import BackupPolicy, BackupRun, BackupTarget, RestoreTest
from .portal.backup import portal_verify_request
from .selectors import Compliance

PAGE_SIZE = 50


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _submit(form, call: Callable):
    """Run a service for a valid form; a broken rule becomes an error on the form."""
    try:
        return call()
    except TransitionNotAllowed:
        form.add_error(None, _("This action is not allowed in the current state."))
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
    return None


# --- dashboard and targets ------------------------------------------------------------------
def dashboard(request):
    """Targets × status: compliance, last run, next run, 3-2-1 and restore tests."""
    now = timezone.now()
    targets = TargetFilter(request.GET, queryset=selectors.target_dashboard(now), request=request)
    counts = dict(targets.qs.order_by().values_list("severity").annotate(n=Count("pk")))
    summary = {key: counts.get(Compliance.SEVERITY[key], 0) for key, _label in Compliance.CHOICES}
    upcoming = (
        BackupPolicy.objects.filter(is_active=True, target__is_active=True, interval__isnull=False)
        .select_related("target", "storage_location")
        .order_by("next_run_at")[:8]
    )
    drills = RestoreTest.objects.select_related("target", "assignee")
    context = {
        "filter": targets,
        "page": _page(request, targets.qs),
        "query": _query_without_page(request),
        "summary": [(key, label, summary[key]) for key, label in Compliance.CHOICES],
        "upcoming": upcoming,
        "overdue_drills": drills.filter(
            status=RestoreTest.Status.PLANNED, planned_for__lt=now
        ).order_by("planned_for")[:8],
        "last_drills": drills.filter(
            status__in=[RestoreTest.Status.PASSED, RestoreTest.Status.FAILED]
        ).order_by("-recorded_at")[:8],
        "alerts": selectors.recent_alerts(8),
        "now": now,
        "can_add": request.user.has_perm("backups.add_backuptarget"),
    }
    return render(request, "backups/dashboard.html", context)


def target_detail(request, slug: str):
    now = timezone.now()
    queryset = selectors.with_compliance(
        BackupTarget.objects.select_related("service", "owner_team"), now
    )
    target = get_object_or_404(queryset, slug=slug)
    context = {
        "target": target,
        "policies": target.policies.select_related("storage_location").order_by("pk"),
        "runs": selectors.run_list().filter(target=target)[:20],
        "drills": selectors.drill_list().filter(target=target)[:10],
        "events": selectors.timeline(target),
        "now": now,
        "can_edit": request.user.has_perm("backups.change_backuptarget"),
        "can_report": request.user.has_perm("backups.report_backuprun"),
        "can_plan": request.user.has_perm("backups.record_restoretest"),
        "compliance_label": Compliance.LABELS.get(target.compliance, ""),
    }
    return render(request, "backups/target_detail.html", context)


def target_form(request, slug: str | None = None):
    target = get_object_or_404(BackupTarget, slug=slug) if slug else None
    perm = "backups.change_backuptarget" if target else "backups.add_backuptarget"
    if not request.user.has_perm(perm):
        raise PermissionDenied
    form = TargetForm(request.POST or None, instance=target, creating=target is None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if not data.get("slug"):
            data.pop("slug", None)  # derived from the name, or left as it is
        if target is None:
            for name in ("rpo", "rto", "drill_interval"):
                if data.get(name) is None:
                    data.pop(name)  # the kind's default
            saved = _submit(
                form, lambda: services.target_create(actor=request.user, source="web", **data)
            )
        else:
            saved = _submit(
                form,
                lambda: services.target_update(
                    target_id=target.pk, actor=request.user, source="web", **data
                ),
            )
        if saved is not None:
            messages.success(request, _("The backup target was saved."))
            return redirect(saved)
    return render(request, "backups/target_form.html", {"form": form, "target": target})


def policy_form(request, slug: str, pk: int | None = None):
    target = get_object_or_404(BackupTarget, slug=slug)
    policy = get_object_or_404(BackupPolicy, pk=pk, target=target) if pk else None
    perm = "backups.change_backuppolicy" if policy else "backups.add_backuppolicy"
    if not request.user.has_perm(perm):
        raise PermissionDenied
    form = PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if policy is None:
            saved = _submit(
                form,
                lambda: services.policy_create(
                    target_id=target.pk, actor=request.user, source="web", **data
                ),
            )
        else:
            saved = _submit(
                form,
                lambda: services.policy_update(
                    policy_id=policy.pk, actor=request.user, source="web", **data
                ),
            )
        if saved is not None:
            messages.success(request, _("The backup policy was saved."))
            return redirect(target)
    context = {"form": form, "target": target, "policy": policy}
    return render(request, "backups/policy_form.html", context)


@require_POST
def portal_backup_now(request):
    """Queue a backup of the portal's own database (runs on a worker)."""
    from .portal.backup import portal_target
    from .tasks import portal_backup

    if not request.user.has_perm("backups.report_backuprun"):
        raise PermissionDenied
    target = portal_target()

    def queue():
        run = services.run_create(
            target_id=target.pk,
            actor=request.user,
            source="web",
            origin=BackupRun.Origin.PORTAL,
            method="full",
            scheduled_for=timezone.now(),  # arms the "must start within" timer
        )
        transaction.on_commit(lambda: portal_backup.delay(run.pk))

    with transaction.atomic():
        run_action(request, queue, _("The portal backup was queued; refresh in a moment."))
    return redirect(target)


# --- runs -----------------------------------------------------------------------------------
def run_list(request):
    runs = RunFilter(request.GET, queryset=selectors.run_list(), request=request)
    context = {
        "filter": runs,
        "page": _page(request, runs.qs),
        "query": _query_without_page(request),
    }
    return render(request, "backups/run_list.html", context)


def run_detail(request, pk: int):
    run = get_object_or_404(
        BackupRun.objects.select_related("target", "policy__storage_location"), pk=pk
    )
    transitions = [
        (t, RUN_FORMS[t.custom["form"]]() if t.custom.get("form") else None)
        for t in available_transitions(run, request.user)
    ]
    context = {
        "run": run,
        "now": timezone.now(),
        "transitions": transitions,
        "events": selectors.timeline(run),
        "drills": run.drills.select_related("target"),
        "can_test_restore": run.target.is_portal
        and run.status == BackupRun.Status.SUCCEEDED
        and request.user.has_perm("backups.report_backuprun"),
    }
    return render(request, "backups/run_detail.html", context)


RUN_VERBS = {
    "start": services.run_start,
    "finish": services.run_finish,
    "fail": services.run_fail,
    "verify": services.run_verify,
    "fail_verification": services.run_fail_verification,
    "expire": services.run_expire,
    "purge": services.run_purge,
}


@require_POST
def run_transition(request, pk: int, verb: str):
    run = get_object_or_404(BackupRun, pk=pk)
    if verb == "test_restore":
        run_action(
            request,
            lambda: portal_verify_request(run_id=run.pk, actor=request.user, source="web"),
            _("The test restore was queued; refresh in a moment."),
        )
        return redirect(run)
    service = RUN_VERBS.get(verb)
    if service is None:
        raise Http404
    spec = next(iter(getattr(run, verb)._django_fsm.transitions.values()))
    form_class = RUN_FORMS.get(spec.custom.get("form"))
    form = form_class(request.POST) if form_class is not None else forms.Form({})
    run_form_action(
        request,
        form,
        lambda data: service(
            run_id=run.pk, actor=request.user, source="web",
            **{k: v for k, v in data.items() if v not in (None, "")},
        ),
        _("Done: %(action)s.") % {"action": spec.custom.get("label", verb)},
    )  # fmt: skip
    return redirect(run)


# --- restore tests --------------------------------------------------------------------------
def drill_list(request):
    drills = DrillFilter(request.GET, queryset=selectors.drill_list(), request=request)
    context = {
        "filter": drills,
        "page": _page(request, drills.qs),
        "now": timezone.now(),
        "query": _query_without_page(request),
    }
    return render(request, "backups/drill_list.html", context)


def drill_detail(request, pk: int):
    drill = get_object_or_404(
        RestoreTest.objects.select_related("target", "run", "assignee", "recorded_by"), pk=pk
    )
    transitions = [
        t for t in available_transitions(drill, request.user) if not t.custom.get("hidden")
    ]
    context = {
        "drill": drill,
        "transitions": transitions,
        "record_form": DrillRecordForm(target=drill.target),
        "reason_form": ReasonForm(),
        "events": selectors.timeline(drill),
        "now": timezone.now(),
    }
    return render(request, "backups/drill_detail.html", context)


def drill_new(request):
    if not request.user.has_perm("backups.record_restoretest"):
        raise PermissionDenied
    initial = {}
    if request.GET.get("target"):
        initial["target"] = BackupTarget.objects.filter(slug=request.GET["target"]).first()
    form = DrillPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        target = data.pop("target")
        drill = _submit(
            form,
            lambda: services.drill_plan(
                target_id=target.pk, actor=request.user, source="web", **data
            ),
        )
        if drill is not None:
            messages.success(request, _("The restore test was planned."))
            return redirect(drill)
    return render(request, "backups/drill_form.html", {"form": form})


@require_POST
def drill_transition(request, pk: int, verb: str):
    drill = get_object_or_404(RestoreTest.objects.select_related("target"), pk=pk)
    if verb == "record_pass":
        form = DrillRecordForm(request.POST, target=drill.target)
        if form.is_valid():
            data = dict(form.cleaned_data)
            run = data.pop("run")
            recorded = _submit(
                form,
                lambda: services.drill_record(
                    drill_id=drill.pk,
                    actor=request.user,
                    source="web",
                    run_id=run.pk if run else None,
                    **data,
                ),
            )
            if recorded is not None:
                messages.success(
                    request,
                    _("Result recorded: %(status)s.") % {"status": recorded.get_status_display()},
                )
                return redirect(drill)
        context = {
            "drill": drill,
            "record_form": form,
            "reason_form": ReasonForm(),
            "transitions": available_transitions(drill, request.user),
            "events": selectors.timeline(drill),
            "now": timezone.now(),
        }
        return render(request, "backups/drill_detail.html", context, status=400)
    if verb == "cancel":
        form = ReasonForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        run_action(
            request,
            lambda: services.drill_cancel(
                drill_id=drill.pk, actor=request.user, source="web", reason=reason
            ),
            _("The restore test was cancelled."),
        )
        return redirect(drill)
    if verb == "assign_me":
        run_action(
            request,
            lambda: services.drill_assign(
                drill_id=drill.pk, actor=request.user, source="web", assignee=request.user
            ),
            _("The restore test is yours."),
        )
        return redirect(drill)
    raise Http404
