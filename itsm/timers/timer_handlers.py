"""Timer handlers of the timer app itself (found by autodiscover in TimersConfig.ready).

Importing `clocks` registers the clock threshold handler (kind "timers.clock").
"""

from . import clocks, services
from .registry import timer_handler

__all__ = ["clocks"]
timer_handler(services.PROBE_KIND)(services.record_probe)
