from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from itsm.web import run_action

from . import services
from .filters import TimerFilter
from .models import Clock, SweepStat, Timer

SOON_WINDOWS = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1), "24h": timedelta(days=1)}
ROWS = 100


def _require(request, perm: str) -> None:
    if not (request.user.is_staff or request.user.has_perm(perm)):
        raise PermissionDenied


def _attach_clocks(timers: list[Timer]) -> None:
    """Show a clock's timer by what it times (one query for all rows)."""
    clock_type = ContentType.objects.get_for_model(Clock)
    ids = {int(t.object_id) for t in timers if t.content_type_id == clock_type.pk}
    clocks = Clock.objects.select_related("content_type").in_bulk(ids) if ids else {}
    for timer in timers:
        if timer.content_type_id == clock_type.pk:
            timer.clock = clocks.get(int(timer.object_id))


def overview(request):
    """Overdue, soon-due, failed and lately fired timers; the last sweep and the lag."""
    _require(request, "timers.view_timer")
    now = timezone.now()
    window_name = request.GET.get("within", "1h")
    window = SOON_WINDOWS.get(window_name, SOON_WINDOWS["1h"])
    filtered = TimerFilter(request.GET, queryset=Timer.objects.select_related("content_type"))
    # An unknown kind matches nothing (as FilterView's strict mode would), not everything.
    timers = filtered.qs if filtered.is_valid() else Timer.objects.none()
    armed = timers.filter(state=Timer.State.ARMED)
    due = armed.filter(due_at__lte=now).order_by("due_at", "pk")
    overdue = list(due[:ROWS])
    # Three counts, each answered from its partial index (one FILTERed aggregate would scan
    # every fired row ever kept).
    counts = {
        "armed": Timer.objects.filter(state=Timer.State.ARMED).count(),
        "due": Timer.objects.filter(state=Timer.State.ARMED, due_at__lte=now).count(),
        "failed": Timer.objects.filter(state=Timer.State.FAILED).count(),
    }
    stats = {s.name: s for s in SweepStat.objects.all()}
    oldest_due = (  # of all timers, whatever the filter: it is the sweeper's health
        Timer.objects.filter(state=Timer.State.ARMED, due_at__lte=now)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    soon = list(
        armed.filter(due_at__gt=now, due_at__lte=now + window).order_by("due_at", "pk")[:ROWS]
    )
    failed = list(timers.filter(state=Timer.State.FAILED).order_by("-due_at")[:ROWS])
    fired = list(timers.filter(state=Timer.State.FIRED).order_by("-fired_at")[:20])
    _attach_clocks([*overdue, *soon, *failed, *fired])
    context = {
        "filter": filtered,
        "now": now,
        "window_name": window_name,
        "windows": list(SOON_WINDOWS),
        "overdue": overdue,
        "soon": soon,
        "failed": failed,
        "fired": fired,
        "counts": counts,
        "sweep": stats.get("sweeper"),
        "probe": stats.get("probe"),
        "lag": (now - oldest_due) if oldest_due else None,
        "can_change": request.user.is_staff or request.user.has_perm("timers.change_timer"),
    }
    return render(request, "timers/overview.html", context)


@require_POST
def retry(request, pk: int):
    _require(request, "timers.change_timer")
    run_action(
        request,
        lambda: services.timer_retry(timer_id=pk, actor=request.user, source="web"),
        _("The timer is armed again and fires with the next sweep."),
    )
    return redirect("timers:overview")


@require_POST
def probe(request):
    """Arm a probe due in one minute: its lateness shows how well the sweeper keeps up."""
    _require(request, "timers.change_timer")
    run_action(
        request,
        lambda: services.timer_probe(delay=timedelta(minutes=1)),
        _("A probe timer is armed; its lateness appears here after it fires."),
    )
    return redirect("timers:overview")
