"""Timer handlers of the timer app itself (found by autodiscover in TimersConfig.ready)."""

from . import clocks  # noqa: F401 - registers the clock threshold handler
