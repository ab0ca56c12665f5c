"""Timer handlers of the timer app itself (found by autodiscover in TimersConfig.ready)."""

from . import clocks, services
from .registry import timer_handler

# clocks registers its own handler (clocks.TIMER_KIND) when imported.
assert clocks.TIMER_KIND
timer_handler(services.PROBE_KIND)(services.record_probe)
