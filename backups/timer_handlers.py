"""Timer kinds of the backups app. Thin: each re-checks its subject under a lock."""

from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.timers.registry import timer_handler

from .models import BackupRun
from .services import compliance, runs

Code = BackupRun.FailureCode


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")


@timer_handler(compliance.TIMER_RPO)
def rpo_deadline_reached(timer, *, now) -> None:
    compliance.rpo_check(target_id=int(timer.object_id), now=now)


@timer_handler(runs.TIMER_START)
def run_did_not_start(timer, *, now) -> None:
    run = runs.lock_run(int(timer.object_id))
    if run.status == BackupRun.Status.SCHEDULED:
        reason = _("Scheduled for %(when)s; no backup job started it in time.") % {
            "when": _when(run.scheduled_for)
        }
        runs.apply(
            run,
            "fail",
            actor=None,
            source="timer",
            message=reason,
            at=now,
            code=Code.MISSED_START,
            reason=reason,
        )


@timer_handler(runs.TIMER_FINISH)
def run_did_not_finish(timer, *, now) -> None:
    run = runs.lock_run(int(timer.object_id))
    if run.status == BackupRun.Status.RUNNING:
        reason = _("Started %(when)s; no finish was reported in time.") % {
            "when": _when(run.started_at)
        }
        runs.apply(
            run,
            "fail",
            actor=None,
            source="timer",
            message=reason,
            at=now,
            code=Code.TIMEOUT,
            reason=reason,
        )
