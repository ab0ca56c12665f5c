"""The change calendar (month and week), its freeze periods and maintenance windows, and
the class policies."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from itsm.models import Service, Team
from itsm.web import run_action

from .. import forms, selectors
from .. import services as svc
from ..models import ChangeClassPolicy, FreezePeriod, MaintenanceWindow
from .pages import WEB, _form_save

ENTRY_FORMS = {"freeze": forms.FreezeForm, "window": forms.WindowForm}
ENTRY_MODELS = {"freeze": FreezePeriod, "window": MaintenanceWindow}


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)


def _parse_day(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _days(view: str, anchor: dt.date) -> list[dt.date]:
    if view == "week":
        monday = anchor - dt.timedelta(days=anchor.weekday())
        return [monday + dt.timedelta(days=n) for n in range(7)]
    first = anchor.replace(day=1)
    start = first - dt.timedelta(days=first.weekday())
    next_month = (first + dt.timedelta(days=32)).replace(day=1)
    last = next_month - dt.timedelta(days=1)
    end = last + dt.timedelta(days=6 - last.weekday())
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def _neighbours(view: str, anchor: dt.date) -> tuple[dt.date, dt.date]:
    if view == "week":
        return anchor - dt.timedelta(days=7), anchor + dt.timedelta(days=7)
    first = anchor.replace(day=1)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return previous, following


def change_calendar(request):
    view = "week" if request.GET.get("view") == "week" else "month"
    anchor = _parse_day(request.GET.get("date"))
    days = _days(view, anchor)
    start, end = _day_bounds(days[0])[0], _day_bounds(days[-1])[1]
    service_slugs = [s for s in request.GET.getlist("service") if s]
    service_ids = set(Service.objects.filter(slug__in=service_slugs).values_list("pk", flat=True))
    team = Team.objects.filter(slug=request.GET.get("team") or "").first()
    data = selectors.calendar_data(
        start, end, service_ids=service_ids or None, team_id=team.pk if team else None
    )
    cells = []
    today = timezone.localdate()
    for day in days:
        begin, finish = _day_bounds(day)
        cells.append(
            {
                "day": day,
                "outside": view == "month" and day.month != anchor.month,
                "today": day == today,
                "changes": [
                    c for c in data.changes if c.planned_start < finish and c.planned_end > begin
                ],
                "windows": [(w, s, e) for w, s, e in data.windows if s < finish and e > begin],
                "freezes": [f for f in data.freezes if f.start < finish and f.end > begin],
            }
        )
    weeks = [cells[i : i + 7] for i in range(0, len(cells), 7)]
    previous, following = _neighbours(view, anchor)
    user = request.user
    return render(
        request,
        "changes/calendar.html",
        {
            "view": view,
            "anchor": anchor,
            "weeks": weeks,
            "previous": previous,
            "following": following,
            "data": data,
            "window_entries": list(dict.fromkeys(w for w, _s, _e in data.windows)),
            "services": Service.objects.filter(is_active=True),
            "teams": Team.objects.all(),
            "service_slugs": service_slugs,
            "team": team,
            "can_freeze": user.has_perm("changes.add_freezeperiod"),
            "can_window": user.has_perm("changes.add_maintenancewindow"),
        },
    )


def calendar_entry(request, kind: str, pk: int | None = None):
    if kind not in ENTRY_MODELS:
        raise Http404
    model, form_class = ENTRY_MODELS[kind], ENTRY_FORMS[kind]
    entry = get_object_or_404(model, pk=pk) if pk else None
    codename = f"changes.{'change' if entry else 'add'}_{model._meta.model_name}"
    if not request.user.has_perm(codename):
        raise PermissionDenied
    form = form_class(request.POST or None, instance=entry)
    if request.method == "POST":
        data = dict(form.cleaned_data) if form.is_valid() else {}
        services = data.pop("services", [])
        saved = _form_save(
            form,
            lambda: svc.calendar_entry_save(
                kind=kind, actor=request.user, source=WEB, entry_id=pk, services=services, **data
            ),
        )
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect(f"{_calendar_url()}?date={timezone.localtime(saved.start).date()}")
    return render(
        request,
        "changes/calendar_entry_form.html",
        {"form": form, "entry": entry, "kind": kind, "title": model._meta.verbose_name},
    )


def _calendar_url() -> str:
    return reverse("changes:calendar")


@require_POST
def calendar_entry_delete(request, kind: str, pk: int):
    if kind not in ENTRY_MODELS:
        raise Http404
    run_action(
        request,
        lambda: svc.calendar_entry_delete(kind=kind, entry_id=pk, actor=request.user, source=WEB),
        _("Deleted."),
    )
    return redirect("changes:calendar")


def policy_list(request):
    return render(
        request,
        "changes/policy_list.html",
        {
            "policies": ChangeClassPolicy.objects.all(),
            "can_edit": request.user.has_perm("changes.change_changeclasspolicy"),
        },
    )


def policy_edit(request, pk: int):
    policy = get_object_or_404(ChangeClassPolicy, pk=pk)
    if not request.user.has_perm("changes.change_changeclasspolicy"):
        raise PermissionDenied
    form = forms.PolicyForm(request.POST or None, instance=ChangeClassPolicy.objects.get(pk=pk))
    if request.method == "POST":
        saved = _form_save(
            form,
            lambda: svc.policy_update(
                policy_id=pk, actor=request.user, source=WEB, **form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(request, _("Policy saved; it applies to the next decisions."))
            return redirect("changes:policies")
    return render(request, "changes/policy_form.html", {"form": form, "policy": policy})
