"""Timer handlers and clock receivers for the tests, importable by worker subprocesses."""

import os
import sys

from django.dispatch import receiver

from itsm.audit import record_event
from itsm.timers.models import Clock
from itsm.timers.registry import timer_handler
from itsm.timers.signals import clock_breached, clock_warned


@timer_handler("tests.record")
def record(timer, *, now):
    record_event(timer.subject, action="timer fired", source="timer", payload={"timer": timer.pk})
    if os.environ.get("TIMERS_TEST_HANG") == "1":  # a worker killed mid-task (test_processes)
        print("HOLDING", flush=True)
        sys.stdin.read()  # blocks until the test kills this process


@timer_handler("tests.explode")
def explode(timer, *, now):
    record_event(timer.subject, action="half done", source="timer")
    raise RuntimeError("boom")


@receiver(clock_warned, sender=Clock, dispatch_uid="tests-clock-warned")
def audit_warned(sender, *, clock, fraction, at, **kwargs):
    record_event(
        clock, action="clock warned", source="timer", payload={"f": fraction, "at": at.isoformat()}
    )


@receiver(clock_breached, sender=Clock, dispatch_uid="tests-clock-breached")
def audit_breached(sender, *, clock, at, **kwargs):
    record_event(clock, action="clock breached", source="timer", payload={"at": at.isoformat()})
