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
        from itsm.timers.models import Clock, SweepStat, Timer

        now = timezone.now()
        try:
            oldest = (
                Timer.objects.filter(state=Timer.State.ARMED, due_at__lte=now)
                .order_by("due_at")
                .values_list("due_at", flat=True)
                .first()
            )
            due = Timer.objects.filter(state=Timer.State.ARMED, due_at__lte=now).count()
            stats = {s.name: s for s in SweepStat.objects.all()}
            sweep, probe = stats.get("sweeper"), stats.get("probe")
            failed = Timer.objects.filter(state=Timer.State.FAILED).count()
            overdue_clocks = Clock.objects.filter(
                deadline_at__lte=now, breached_at__isnull=True
            ).count()
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
        g = GaugeMetricFamily("itsm_timers_failed", "Timers parked as failed after retries")
        g.add_metric([], failed)
        yield g
        g = GaugeMetricFamily(
            "itsm_clocks_past_deadline", "Running clocks past their deadline, breach not yet seen"
        )
        g.add_metric([], overdue_clocks)
        yield g
        if sweep:
            age = (now - sweep.at).total_seconds()
            for name, help_text, value in [
                ("last_sweep_seconds", "Duration of the last sweep", sweep.duration_ms / 1000),
                ("last_sweep_claim_seconds", "Its claim queries", sweep.claim_ms / 1000),
                ("last_sweep_fired", "Timers fired by the last sweep", sweep.fired),
                ("last_sweep_failed", "Timers failed in the last sweep", sweep.failed),
                ("last_sweep_max_lateness_seconds", "Its latest timer", sweep.max_lateness_s),
                ("last_sweep_age_seconds", "Time since the last sweep ended", age),
            ]:
                g = GaugeMetricFamily(f"itsm_timer_{name}", help_text)
                g.add_metric([], value)
                yield g
        if probe and probe.fired:
            g = GaugeMetricFamily(
                "itsm_timer_probe_lateness_seconds", "How late the last probe timer fired"
            )
            g.add_metric([], probe.max_lateness_s)
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
