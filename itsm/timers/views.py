from datetime import timedelta

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.utils import timezone

from .models import SweepStat, Timer


@staff_member_required
def overview(request):
    """Overdue and soon-due timers, the last sweep, and the lag of the oldest due timer."""
    now = timezone.now()
    armed = Timer.objects.filter(state=Timer.State.ARMED).select_related("content_type")
    overdue = armed.filter(due_at__lte=now).order_by("due_at")[:100]
    soon = armed.filter(due_at__gt=now, due_at__lte=now + timedelta(hours=1)).order_by("due_at")[
        :100
    ]
    oldest = armed.filter(due_at__lte=now).order_by("due_at").first()
    return render(
        request,
        "timers/overview.html",
        {
            "overdue": overdue,
            "soon": soon,
            "sweep": SweepStat.objects.filter(name="sweeper").first(),
            "lag": (now - oldest.due_at) if oldest else None,
            "failed": Timer.objects.filter(state=Timer.State.FAILED).order_by("-due_at")[:50],
        },
    )
