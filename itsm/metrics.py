"""Portal figures for /metrics, read from the database at scrape time."""

from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.core import REGISTRY, GaugeMetricFamily

_registered = False


class PortalCollector:
    def describe(self):
        return []  # registering must not query the database before apps are ready

    def collect(self):
        from itsm.models import Heartbeat
        from itsm.timers.models import SweepStat, Timer

        now = timezone.now()
        try:
            oldest = (
                Timer.objects.filter(state=Timer.State.ARMED, due_at__lte=now)
                .order_by("due_at")
                .values_list("due_at", flat=True)
                .first()
            )
            due = Timer.objects.filter(state=Timer.State.ARMED, due_at__lte=now).count()
            sweep = SweepStat.objects.filter(name="sweeper").first()
            beat = Heartbeat.objects.filter(name="beat").first()
        except DatabaseError:
            return
        lag = GaugeMetricFamily(
            "itsm_timer_oldest_due_lag_seconds", "Age of the oldest due, unfired timer"
        )
        lag.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
        yield lag
        count = GaugeMetricFamily("itsm_timers_due", "Armed timers that are due now")
        count.add_metric([], due)
        yield count
        if sweep:
            g = GaugeMetricFamily("itsm_timer_last_sweep_seconds", "Duration of the last sweep")
            g.add_metric([], sweep.duration_ms / 1000)
            yield g
            g = GaugeMetricFamily("itsm_timer_last_sweep_fired", "Timers fired by the last sweep")
            g.add_metric([], sweep.fired)
            yield g
        if beat:
            g = GaugeMetricFamily(
                "itsm_beat_heartbeat_age_seconds", "Age of the last beat heartbeat"
            )
            g.add_metric([], (now - beat.at).total_seconds())
            yield g


def register() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(PortalCollector())
        _registered = True
