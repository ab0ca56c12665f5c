"""Pages: thin. Parse, call one service through run_action, render or redirect."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from itsm.audit import Source
from itsm.models import AuditEvent
from itsm.web import run_action

from . import selectors, services
from .filters import PlanFilter, RunFilter, UpdateFilter
from .forms import JobForm, NoteForm, PlanForm, UpdateForm
from .models import MaintenanceJob, MaintenancePlan, MaintenanceRun, PendingUpdate, UpdateStatus
from .schedule import PRESETS, occurrences

WEB = Source.WEB
PAGE_SIZE = 50
view_plans = permission_required("maintenance.view_maintenanceplan", raise_exception=True)
view_runs = permission_required("maintenance.view_maintenancerun", raise_exception=True)
view_updates = permission_required("maintenance.view_pendingupdate", raise_exception=True)


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@view_plans
def plan_list(request):
    filterset = PlanFilter(request.GET, queryset=selectors.plans())
    return render(
        request,
        "maintenance/plan_list.html",
        {
            "filter": filterset,
            "plans": filterset.qs,
            "now": timezone.now(),
            "calendar": selectors.calendar_ahead(days=14),
        },
    )


@view_plans
def plan_detail(request, pk: int):
    try:
        plan = selectors.plan_detail(pk)
    except MaintenancePlan.DoesNotExist:
        raise Http404 from None
    upcoming = []
    if plan.is_active:
        upcoming = occurrences(plan.schedule, plan.time_zone, after=timezone.now(), count=5)
    recent = selectors.runs().filter(plan=plan).order_by("-scheduled_for", "-pk")[:10]
    history = AuditEvent.objects.for_object(plan).select_related("actor").order_by("-at")[:20]
    return render(
        request,
        "maintenance/plan_detail.html",
        {"plan": plan, "upcoming": upcoming, "recent": recent, "history": history},
    )


def _plan_form_page(request, form, plan=None):
    return render(
        request, "maintenance/plan_form.html", {"form": form, "plan": plan, "presets": PRESETS}
    )


@permission_required("maintenance.add_maintenanceplan", raise_exception=True)
def plan_create(request):
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = {}

        def create():
            created["plan"] = services.plan_create(
                actor=request.user, source=WEB, **form.service_fields()
            )

        if run_action(request, create, _("The plan was created and its timer armed.")):
            return redirect(created["plan"])
    return _plan_form_page(request, form)


@permission_required("maintenance.change_maintenanceplan", raise_exception=True)
def plan_edit(request, pk: int):
    plan = get_object_or_404(MaintenancePlan, pk=pk)
    form = PlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if run_action(
            request,
            lambda: services.plan_update(plan_id=pk, actor=request.user, source=WEB, **fields),
            _("The plan was saved; the next run follows the new schedule."),
        ):
            return redirect("maintenance:plan_detail", pk=pk)
    return _plan_form_page(request, form, plan)


@require_POST
def plan_toggle(request, pk: int):
    plan = get_object_or_404(MaintenancePlan, pk=pk)
    active = not plan.is_active
    run_action(
        request,
        lambda: services.plan_set_active(plan_id=pk, actor=request.user, source=WEB, active=active),
        _("The plan is active again.") if active else _("The plan is paused."),
    )
    return redirect("maintenance:plan_detail", pk=pk)


@require_POST
def plan_run(request, pk: int):
    get_object_or_404(MaintenancePlan, pk=pk)
    run_action(
        request,
        lambda: services.plan_run_now(plan_id=pk, actor=request.user, source=WEB),
        _("A run was queued; it appears below when it starts."),
    )
    return redirect("maintenance:plan_detail", pk=pk)


@require_POST
def plan_delete(request, pk: int):
    get_object_or_404(MaintenancePlan, pk=pk)
    if run_action(
        request,
        lambda: services.plan_delete(plan_id=pk, actor=request.user, source=WEB),
        _("The plan was deleted."),
    ):
        return redirect("maintenance:list")
    return redirect("maintenance:plan_detail", pk=pk)


def _job_form_page(request, form, plan, job=None):
    return render(request, "maintenance/job_form.html", {"form": form, "plan": plan, "job": job})


@permission_required("maintenance.change_maintenanceplan", raise_exception=True)
def job_add(request, pk: int):
    plan = get_object_or_404(MaintenancePlan, pk=pk)
    form = JobForm(request.POST or None, initial={"position": (plan.jobs.count() + 1) * 10})
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if run_action(
            request,
            lambda: services.job_add(plan_id=pk, actor=request.user, source=WEB, **fields),
            _("The job was added."),
        ):
            return redirect("maintenance:plan_detail", pk=pk)
    return _job_form_page(request, form, plan)


@permission_required("maintenance.change_maintenanceplan", raise_exception=True)
def job_edit(request, pk: int):
    job = get_object_or_404(MaintenanceJob.objects.select_related("plan"), pk=pk)
    form = JobForm(request.POST or None, instance=job)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if run_action(
            request,
            lambda: services.job_update(job_id=pk, actor=request.user, source=WEB, **fields),
            _("The job was saved."),
        ):
            return redirect("maintenance:plan_detail", pk=job.plan_id)
    return _job_form_page(request, form, job.plan, job)


@require_POST
def job_delete(request, pk: int):
    job = get_object_or_404(MaintenanceJob, pk=pk)
    run_action(
        request,
        lambda: services.job_delete(job_id=pk, actor=request.user, source=WEB),
        _("The job was removed."),
    )
    return redirect("maintenance:plan_detail", pk=job.plan_id)


@view_runs
def run_list(request):
    filterset = RunFilter(request.GET, queryset=selectors.runs())
    runs = filterset.qs
    if not request.GET.get("ordering"):
        runs = runs.order_by("-scheduled_for", "-pk")
    return render(
        request,
        "maintenance/run_list.html",
        {"filter": filterset, "page": _page(request, runs), "query": _query_without_page(request)},
    )


@view_runs
def run_detail(request, pk: int):
    try:
        run = selectors.run_detail(pk)
    except MaintenanceRun.DoesNotExist:
        raise Http404 from None
    return render(request, "maintenance/run_detail.html", {"run": run})


@view_updates
def update_list(request):
    filterset = UpdateFilter(request.GET, queryset=selectors.updates())
    return render(
        request,
        "maintenance/update_list.html",
        {
            "filter": filterset,
            "page": _page(request, filterset.qs),
            "query": _query_without_page(request),
        },
    )


@view_updates
def update_detail(request, pk: int):
    update = get_object_or_404(selectors.updates(), pk=pk)
    history = AuditEvent.objects.for_object(update).select_related("actor").order_by("-at")[:20]
    return render(
        request,
        "maintenance/update_detail.html",
        {"update": update, "history": history, "note_form": NoteForm(), "states": UpdateStatus},
    )


@permission_required("maintenance.add_pendingupdate", raise_exception=True)
def update_create(request):
    form = UpdateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = {}

        def register():
            created["update"] = services.update_register(
                actor=request.user, source=WEB, **form.service_fields()
            )

        if run_action(request, register, _("The update was registered.")):
            return redirect(created["update"])
    return render(request, "maintenance/update_form.html", {"form": form})


@permission_required("maintenance.change_pendingupdate", raise_exception=True)
def update_edit(request, pk: int):
    update = get_object_or_404(PendingUpdate, pk=pk)
    form = UpdateForm(request.POST or None, instance=update)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if run_action(
            request,
            lambda: services.update_edit(update_id=pk, actor=request.user, source=WEB, **fields),
            _("The update was saved."),
        ):
            return redirect(update)
    return render(request, "maintenance/update_form.html", {"form": form, "update": update})


@require_POST
def update_action(request, pk: int, action: str):
    get_object_or_404(PendingUpdate, pk=pk)
    note = NoteForm(request.POST)
    note.is_valid()
    text = note.cleaned_data.get("note", "")
    actions = {
        "analyse": (
            lambda: services.update_analyse(update_id=pk, actor=request.user, source=WEB),
            _("The update was analysed."),
        ),
        "schedule": (
            lambda: services.update_schedule_now(update_id=pk, actor=request.user, source=WEB),
            _("The update was scheduled into a maintenance window."),
        ),
        "apply": (
            lambda: services.update_mark_applied(
                update_id=pk, actor=request.user, source=WEB, note=text
            ),
            _("The update is marked applied."),
        ),
        "dismiss": (
            lambda: services.update_dismiss(
                update_id=pk, actor=request.user, source=WEB, note=text
            ),
            _("The update was dismissed."),
        ),
    }
    if action not in actions:
        return redirect("maintenance:update_detail", pk=pk)
    run_action(request, *actions[action])
    return redirect("maintenance:update_detail", pk=pk)
