"""Pages: thin views that parse input, call one service and render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from itsm.audit import Source
from itsm.models import Team
from itsm.recipients import user_language
from itsm.web import run_action

from . import engine, ical, rules, selectors, services
from . import timeline as tl
from .fairness import Tally
from .filters import OverrideFilter, ScheduleFilter
from .forms import OverrideForm, RotationForm, ScheduleForm, TakeOverForm
from .models import Override, PersonalFeed, Rotation, Schedule

OVERVIEW = dt.timedelta(days=14)


def _int(value, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high)
    except (TypeError, ValueError):
        return default


def _date(value, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def schedule_list(request):
    """Every schedule: who is on call now, until when, who is next, gaps ahead."""
    queryset = selectors.schedules().order_by("team__name", "level")
    filterset = ScheduleFilter(request.GET or None, queryset=queryset, request=request)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = []
    for line in selectors.timelines(
        selectors.schedules().filter(pk__in=[s.pk for s in page]).order_by("team__name", "level"),
        now,
        now + OVERVIEW,
    ):
        merged = engine.merge_by_person(line.segments)
        current = merged[0] if merged else None
        following = merged[1] if len(merged) > 1 else None
        rows.append(
            {
                "schedule": line.schedule,
                "now": line.person(current.user_id) if current else None,
                "until": following.start if following else None,
                "next": line.person(following.user_id) if following else None,
                "gaps": line.gaps,
            }
        )
    return render(
        request,
        "oncall/schedule_list.html",
        {
            "rows": rows,
            "page": page,
            "filter": filterset,
            "can_create": rules.can_create_schedule(request.user),
            "horizon_days": OVERVIEW.days,
        },
    )


def team_schedule(request, slug: str):
    """/oncall/teams/<slug>/: the team's primary schedule, or the list filtered to the team."""
    team = get_object_or_404(Team, slug=slug)
    schedule = Schedule.objects.filter(team=team).order_by("level").first()
    if schedule is None:
        return redirect(f"{_list_url()}?team={team.slug}")
    return redirect(schedule)


def _list_url() -> str:
    from django.urls import reverse

    return reverse("oncall:list")


def schedule_detail(request, pk: int):
    """The timeline of the next weeks: each rotation, the overrides, and the final schedule
    with gaps highlighted."""
    get_object_or_404(Schedule, pk=pk)
    today = timezone.localdate()
    first_day = _date(request.GET.get("start"), today)
    weeks = _int(request.GET.get("weeks"), 2, 1, 8)
    start, end = tl.window(first_day, weeks * 7)
    line = selectors.timelines(selectors.schedules().filter(pk=pk), start, end, layers=True)[0]
    schedule = line.schedule
    palette = tl.Palette()
    final = tl.bars(line.segments, start, end, line.people, palette)
    layer_rows = [
        (rotation, tl.bars(shifts, start, end, line.people, palette))
        for rotation, shifts in line.layers
    ]
    override_rows = [
        tl.Bar(
            left=round(100 * (max(o.start, start) - start) / (end - start), 4),
            width=round(100 * (min(o.effective_end, end) - max(o.start, start)) / (end - start), 4),
            start=o.start,
            end=o.effective_end,
            label=str(o.user),
            css=palette.css(o.user_id),
            user_id=o.user_id,
        )
        for o in line.schedule.window_overrides
        if o.effective_end > max(o.start, start)
    ]
    now = timezone.now()
    team = schedule.team
    may_assign = rules.can_manage_overrides(request.user, team)
    may_take = may_assign or rules.is_member(request.user, team)
    all_rotations = list(selectors.rotations().filter(schedule=schedule).order_by("-layer", "pk"))
    upcoming = list(
        selectors.overrides().filter(schedule=schedule, end__gt=now).order_by("start", "pk")[:50]
    )
    context = {
        "schedule": schedule,
        "line": line,
        "start": start,
        "end": end,
        "weeks": weeks,
        "first_day": first_day,
        "previous_day": first_day - dt.timedelta(days=7 * weeks),
        "next_day": first_day + dt.timedelta(days=7 * weeks),
        "ticks": tl.ticks(start, end),
        "tick_width": round(100 / (weeks * 7), 4),
        "final": final,
        "layer_rows": layer_rows,
        "override_rows": override_rows,
        "shifts": [
            (s, line.person(s.user_id), Tally.hours(s.duration))
            for s in engine.merge_by_person(line.segments)
        ],
        # Only gaps still ahead are a warning; past ones show on the timeline as history.
        "gaps": [g for g in line.gaps if g.end > now],
        "current_rotations": [r for r in all_rotations if r.is_current(now)],
        "ended_rotations": [r for r in all_rotations if not r.is_current(now)],
        "overrides": upcoming,
        "can_edit": rules.can_edit_schedule(request.user, team),
        "may_assign": may_assign,
        "may_take": may_take,
        "override_form": OverrideForm(schedule=schedule, actor=request.user, may_assign=may_assign)
        if may_take
        else None,
        "now_marker": round(100 * (now - start) / (end - start), 4) if start <= now < end else None,
        "ical_url": request.build_absolute_uri(
            _reverse("oncall:schedule_feed", token=schedule.ical_token)
        ),
    }
    return render(request, "oncall/schedule_detail.html", context)


def _reverse(name: str, **kwargs) -> str:
    from django.urls import reverse

    return reverse(name, kwargs=kwargs)


def schedule_create(request):
    if not rules.can_create_schedule(request.user):
        raise PermissionDenied
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = {}

        def action():
            result["schedule"] = services.schedule_create(
                **form.cleaned_data, actor=request.user, source=Source.WEB
            )

        if run_action(request, action, _("The schedule was created.")):
            return redirect(result["schedule"])
    return render(request, "oncall/schedule_form.html", {"form": form})


def schedule_edit(request, pk: int):
    schedule = get_object_or_404(Schedule.objects.select_related("team"), pk=pk)
    if not rules.can_edit_schedule(request.user, schedule.team):
        raise PermissionDenied
    form = ScheduleForm(request.POST or None, instance=schedule)
    if request.method == "POST" and form.is_valid():
        changes = {k: form.cleaned_data[k] for k in ("name", "level", "time_zone", "description")}
        schedule.refresh_from_db()  # the ModelForm wrote into the instance; the service decides

        def action():
            services.schedule_update(
                schedule_id=schedule.pk, actor=request.user, source=Source.WEB, **changes
            )

        if run_action(request, action, _("The schedule was saved.")):
            return redirect(schedule)
    return render(request, "oncall/schedule_form.html", {"form": form, "schedule": schedule})


@require_POST
def schedule_rotate_token(request, pk: int):
    schedule = get_object_or_404(Schedule, pk=pk)
    run_action(
        request,
        lambda: services.schedule_rotate_token(
            schedule_id=schedule.pk, actor=request.user, source=Source.WEB
        ),
        _("The calendar address was changed; subscribers need the new one."),
    )
    return redirect(schedule)


def rotation_create(request, pk: int):
    schedule = get_object_or_404(Schedule.objects.select_related("team"), pk=pk)
    if not rules.can_edit_schedule(request.user, schedule.team):
        raise PermissionDenied
    initial = {"start_date": timezone.localdate(), "handoff_time": dt.time(9, 0)}
    form = RotationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():

        def action():
            services.rotation_create(
                schedule_id=schedule.pk,
                actor=request.user,
                source=Source.WEB,
                **form.service_data(),
            )

        if run_action(request, action, _("The rotation was added.")):
            return redirect(schedule)
    return render(request, "oncall/rotation_form.html", {"form": form, "schedule": schedule})


def rotation_edit(request, pk: int):
    rotation = get_object_or_404(selectors.rotations(), pk=pk)
    schedule = rotation.schedule
    if not rules.can_edit_schedule(request.user, schedule.team):
        raise PermissionDenied
    form = RotationForm(request.POST or None, initial=RotationForm.initial_for(rotation))
    if request.method == "POST" and form.is_valid():

        def action():
            services.rotation_update(
                rotation_id=rotation.pk,
                actor=request.user,
                source=Source.WEB,
                **form.service_data(),
            )

        if run_action(request, action, _("The rotation was saved.")):
            return redirect(schedule)
    return render(
        request,
        "oncall/rotation_form.html",
        {"form": form, "schedule": schedule, "rotation": rotation},
    )


@require_POST
def rotation_end(request, pk: int):
    rotation = get_object_or_404(Rotation.objects.select_related("schedule"), pk=pk)
    run_action(
        request,
        lambda: services.rotation_end(
            rotation_id=rotation.pk, actor=request.user, source=Source.WEB
        ),
        _("The rotation was ended."),
    )
    return redirect(rotation.schedule)


@require_POST
def override_create(request, pk: int):
    schedule = get_object_or_404(Schedule.objects.select_related("team"), pk=pk)
    may_assign = rules.can_manage_overrides(request.user, schedule.team)
    form = OverrideForm(request.POST, schedule=schedule, actor=request.user, may_assign=may_assign)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect(schedule)
    data = form.cleaned_data
    run_action(
        request,
        lambda: services.override_create(
            schedule_id=schedule.pk,
            user=data["user"],
            replaces=data["replaces"],
            start=data["start"],
            end=data["end"],
            reason=data["reason"],
            actor=request.user,
            source=Source.WEB,
        ),
        _("The override was saved."),
    )
    return redirect(schedule)


@require_POST
def override_cancel(request, pk: int):
    override = get_object_or_404(Override.objects.select_related("schedule"), pk=pk)
    run_action(
        request,
        lambda: services.override_cancel(
            override_id=override.pk, actor=request.user, source=Source.WEB
        ),
        _("The override was cancelled."),
    )
    return _back(request, override.schedule.get_absolute_url())


def _back(request, fallback: str):
    target = request.POST.get("next") or fallback
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = fallback
    return redirect(target)


@require_POST
def take_over(request, slug: str):
    """ "I'll take it": the button an incident page (or this app) posts to."""
    team = get_object_or_404(Team, slug=slug)
    form = TakeOverForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The times are not valid."))
        return _back(request, _list_url())
    data = form.cleaned_data
    result = {}

    def action():
        result["override"] = services.take_over(
            team=team,
            user=request.user,
            start=data["start"],
            end=data["end"],
            level=data["level"] or 1,
            actor=request.user,
            source=Source.WEB,
        )

    if run_action(request, action):
        override = result["override"]
        messages.success(
            request,
            _("You are on call for %(team)s until %(end)s.")
            % {
                "team": team.name,
                "end": date_format(timezone.localtime(override.end), "SHORT_DATETIME_FORMAT"),
            },
        )
        return _back(request, override.schedule.get_absolute_url())
    return _back(request, _list_url())


def override_list(request):
    queryset = selectors.overrides().order_by("-start", "-pk")
    data = request.GET.copy()
    if not request.GET:
        data["upcoming"] = "true"
    filterset = OverrideFilter(data, queryset=queryset, request=request)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "oncall/override_list.html",
        {"page": page, "filter": filterset, "teams": Team.objects.order_by("name")},
    )


def my_shifts(request):
    now = timezone.now()
    weeks = _int(request.GET.get("weeks"), 4, 1, 12)
    shifts = selectors.shifts_of_user(request.user, now, now + dt.timedelta(weeks=weeks))
    feed = selectors.feed_of(request.user)
    total = sum((s.end - s.start for s in shifts), dt.timedelta(0))
    return render(
        request,
        "oncall/my_shifts.html",
        {
            "shifts": shifts,
            "weeks": weeks,
            "total_hours": Tally.hours(total),
            "feed_url": request.build_absolute_uri(
                _reverse("oncall:person_feed", token=feed.token)
            ),
            "now": now,
        },
    )


@require_POST
def feed_rotate(request):
    run_action(
        request,
        lambda: services.feed_rotate(user=request.user, actor=request.user, source=Source.WEB),
        _("Your calendar address was changed; subscribe again with the new one."),
    )
    return redirect("oncall:my_shifts")


def fairness(request):
    """Hours on call per person in one month; nights, weekends and holidays counted."""
    today = timezone.localdate()
    try:
        year, month = (int(p) for p in request.GET.get("month", "").split("-"))
        dt.date(year, month, 1)
    except ValueError:
        year, month = today.year, today.month
    queryset = selectors.schedules().order_by("team__name", "level")
    filterset = ScheduleFilter(request.GET or None, queryset=queryset, request=request)
    rows = selectors.fairness_report(filterset.qs, year, month)
    month_start = dt.date(year, month, 1)
    previous = (month_start - dt.timedelta(days=1)).replace(day=1)
    following = (month_start + dt.timedelta(days=32)).replace(day=1)
    total = sum((r.tally.total for r in rows), dt.timedelta(0))
    return render(
        request,
        "oncall/fairness.html",
        {
            "rows": rows,
            "filter": filterset,
            "month": month_start,
            "previous": previous,
            "following": following,
            "total_hours": Tally.hours(total),
            "average": Tally.hours(total / len(rows)) if rows else 0,
            "query": request.GET.urlencode(),
        },
    )


# --- Calendar feeds: the secret token in the address is the authentication -----------------


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


def _base(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


@login_not_required
@require_GET
def person_feed(request, token: str):
    feed = PersonalFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404
    with translation.override(user_language(feed.user)), timezone.override(dt.UTC):
        body = ical.person_feed(feed.user, base_url=_base(request), host=request.get_host())
    return _ics(body, f"oncall-{feed.user.username}.ics")


@login_not_required
@require_GET
def schedule_feed(request, token: str):
    schedule = selectors.schedules().filter(ical_token=token).first()
    if schedule is None:
        raise Http404
    body = ical.schedule_feed(schedule, base_url=_base(request), host=request.get_host())
    return _ics(body, f"oncall-{schedule.team.slug}-{schedule.level}.ics")
