"""Reports from CI/CD: builds, test results and deployments, idempotent per pipeline run.

The same run reported twice is one row: a unique constraint on (release, run, environment)
holds it in the database, and `get_or_create` runs while the release row is locked, so
concurrent reports of one run queue behind each other instead of racing. A report for the
release's current stage that says "failed" moves the release: test and staging go back to
development, canary and production roll back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.audit import record_event
from itsm.errors import Conflict, DomainError
from itsm.timers.services import timer_arm

from .. import permissions as perms
from ..models import FINISHED, Build, Deployment, Environment, Release, Stage, TestRun
from ..tasks import notify_release
from .release import CANARY_TIMER, release_transition


@dataclass
class ReportOutcome:
    report: models.Model
    created: bool
    changed: bool


def _check_times(started_at: datetime | None, finished_at: datetime | None) -> None:
    if started_at and finished_at and finished_at < started_at:
        raise DomainError(_("A run cannot finish before it starts."), field="finished_at")


def _lock_for_report(release_id: int, actor) -> Release:
    if not actor.has_perm(perms.REPORT):
        raise PermissionDenied(_("This account may not report pipeline results."))
    return Release.objects.select_for_update().get(pk=release_id)


def _require_stage(release: Release, environment: str, what: str) -> None:
    """New reports for an environment are taken only while the release is in that stage.

    This is what keeps CI/CD from deploying to production a release that was never promoted
    (and so never passed the approved-change gate).
    """
    if release.stage != environment:
        raise Conflict(
            _("The release is in %(stage)s: %(what)s for %(env)s are not accepted now.")
            % {
                "stage": release.get_stage_display(),
                "what": what,
                "env": Environment(environment).label,
            },
            code="wrong_stage",
        )


def _require_version(release: Release, version: str) -> str:
    version = version or release.version
    if version != release.version:
        raise DomainError(
            _("This release is version %(v)s, not %(r)s.") % {"v": release.version, "r": version},
            field="version",
        )
    return version


def _merge_result(report, *, result: str, finished_at, final_upgrades: dict) -> bool:
    """Apply a repeated report of the same run. True if the row changed.

    Same result: nothing to do (idempotent). In progress → a final result: the run ended.
    A late "in progress" after the end: stale, ignored. Anything else contradicts what was
    reported before: 409.
    """
    if result == report.result or result == "in_progress":
        return False
    allowed = {"in_progress": None, **final_upgrades}
    if report.result not in allowed or (
        allowed[report.result] is not None and result not in allowed[report.result]
    ):
        raise Conflict(
            _("Run %(run)s was already reported as %(result)s.")
            % {"run": report.run_id, "result": report.get_result_display()},
            code="result_conflict",
        )
    report.result = result
    report.finished_at = finished_at or report.finished_at or timezone.now()
    report.save(update_fields=["result", "finished_at", "updated_at"])
    return True


def _fail_stage(release: Release, environment: str, *, actor, source: str, reason: str) -> None:
    """A failed report for the current stage moves the release (the report is the authority)."""
    if release.stage != environment:
        return
    verb = {
        Stage.TEST: "fail_test",
        Stage.STAGING: "fail_staging",
        Stage.CANARY: "rollback",
        Stage.PRODUCTION: "rollback",
    }[environment]
    release_transition(
        release_id=release.pk,
        verb=verb,
        actor=actor,
        source=source,
        reason=reason,
        check_permission=False,
    )


@transaction.atomic
def deployment_report(
    *,
    release_id: int,
    actor,
    source: str,
    environment: str,
    run_id: str,
    pipeline: str,
    result: str,
    version: str = "",
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    triggered_by: str = "",
    run_url: str = "",
    notes: str = "",
) -> ReportOutcome:
    _check_times(started_at, finished_at)
    release = _lock_for_report(release_id, actor)
    key = {"release": release, "run_id": run_id, "environment": environment}
    if not Deployment.objects.filter(**key).exists():
        _require_stage(release, environment, _("deployments"))
        version = _require_version(release, version)
    final = result != Deployment.Result.IN_PROGRESS
    deployment, created = Deployment.objects.get_or_create(
        **key,
        defaults={
            "pipeline": pipeline,
            "version": version or release.version,
            "strategy": release.strategy,
            "result": result,
            "attempt": release.attempt,
            "reported_by": actor,
            "started_at": started_at,
            "finished_at": finished_at or (timezone.now() if final else None),
            "triggered_by": triggered_by,
            "run_url": run_url,
            "notes": notes,
        },
    )
    changed = created or _merge_result(
        deployment,
        result=result,
        finished_at=finished_at,
        final_upgrades={Deployment.Result.SUCCEEDED: [Deployment.Result.ROLLED_BACK]},
    )
    if not changed:
        return ReportOutcome(deployment, created, changed)

    record_event(
        release,
        action="deployment reported",
        actor=actor,
        source=source,
        before=release.stage,
        after=release.stage,
        payload={
            "deployment": deployment.pk,
            "environment": environment,
            "result": deployment.result,
            "run": run_id,
            "pipeline": deployment.pipeline,
        },
    )
    current_round = deployment.attempt == release.attempt
    canary_live = (
        deployment.result == Deployment.Result.SUCCEEDED and environment == Environment.CANARY
    )
    if canary_live and current_round and release.canary_duration_minutes:
        timer_arm(
            subject=release,
            kind=CANARY_TIMER,
            due_at=deployment.finished_at + timedelta(minutes=release.canary_duration_minutes),
            payload={"deployment": deployment.pk},
        )
    if deployment.result in (Deployment.Result.FAILED, Deployment.Result.ROLLED_BACK):
        if current_round:
            _fail_stage(
                release,
                environment,
                actor=actor,
                source=source,
                reason=_("Deployment to %(env)s %(result)s (pipeline run %(run)s).")
                % {
                    "env": Environment(environment).label,
                    "result": deployment.get_result_display().lower(),
                    "run": run_id,
                },
            )
    elif deployment.result == Deployment.Result.SUCCEEDED and environment == Stage.PRODUCTION:
        transaction.on_commit(partial(notify_release.delay, release.pk, "deployed_to_production"))
    return ReportOutcome(deployment, created, changed)


@transaction.atomic
def test_result_report(
    *,
    release_id: int,
    actor,
    source: str,
    environment: str,
    suite: str,
    run_id: str,
    pipeline: str,
    result: str,
    tests_total: int = 0,
    tests_failed: int = 0,
    tests_skipped: int = 0,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    run_url: str = "",
) -> ReportOutcome:
    _check_times(started_at, finished_at)
    release = _lock_for_report(release_id, actor)
    key = {"release": release, "run_id": run_id, "environment": environment, "suite": suite}
    if not TestRun.objects.filter(**key).exists():
        _require_stage(release, environment, _("test results"))
    if tests_failed > tests_total or tests_skipped > tests_total:
        raise DomainError(
            _("Failed and skipped tests cannot exceed the total."), field="tests_total"
        )
    final = result != TestRun.Result.IN_PROGRESS
    run, created = TestRun.objects.get_or_create(
        **key,
        defaults={
            "pipeline": pipeline,
            "result": result,
            "attempt": release.attempt,
            "reported_by": actor,
            "tests_total": tests_total,
            "tests_failed": tests_failed,
            "tests_skipped": tests_skipped,
            "started_at": started_at,
            "finished_at": finished_at or (timezone.now() if final else None),
            "run_url": run_url,
        },
    )
    changed = created
    if not created and _merge_result(
        run, result=result, finished_at=finished_at, final_upgrades={}
    ):
        run.tests_total, run.tests_failed, run.tests_skipped = (
            tests_total,
            tests_failed,
            tests_skipped,
        )
        run.save(update_fields=["tests_total", "tests_failed", "tests_skipped"])
        changed = True
    if not changed:
        return ReportOutcome(run, created, changed)
    record_event(
        release,
        action="test result reported",
        actor=actor,
        source=source,
        before=release.stage,
        after=release.stage,
        payload={
            "test_run": run.pk,
            "environment": environment,
            "suite": suite,
            "result": run.result,
            "run": run_id,
            "failed": run.tests_failed,
            "total": run.tests_total,
        },
    )
    if run.result == TestRun.Result.FAILED and run.attempt == release.attempt:
        _fail_stage(
            release,
            environment,
            actor=actor,
            source=source,
            reason=_("Test suite %(suite)s failed in %(env)s (pipeline run %(run)s).")
            % {"suite": suite, "env": Environment(environment).label, "run": run_id},
        )
    return ReportOutcome(run, created, changed)


@transaction.atomic
def build_report(
    *,
    release_id: int,
    actor,
    source: str,
    run_id: str,
    pipeline: str,
    result: str,
    version: str = "",
    commit: str = "",
    branch: str = "",
    artifact: str = "",
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    run_url: str = "",
) -> ReportOutcome:
    _check_times(started_at, finished_at)
    release = _lock_for_report(release_id, actor)
    key = {"release": release, "run_id": run_id}
    if not Build.objects.filter(**key).exists():
        if release.stage in FINISHED:
            raise Conflict(
                _("The release is finished: builds are not accepted."), code="wrong_stage"
            )
        version = _require_version(release, version)
    final = result != Build.Result.IN_PROGRESS
    build, created = Build.objects.get_or_create(
        **key,
        defaults={
            "pipeline": pipeline,
            "version": version or release.version,
            "commit": commit,
            "branch": branch,
            "artifact": artifact,
            "result": result,
            "attempt": release.attempt,
            "reported_by": actor,
            "started_at": started_at,
            "finished_at": finished_at or (timezone.now() if final else None),
            "run_url": run_url,
        },
    )
    changed = created or _merge_result(
        build, result=result, finished_at=finished_at, final_upgrades={}
    )
    if changed:
        record_event(
            release,
            action="build reported",
            actor=actor,
            source=source,
            before=release.stage,
            after=release.stage,
            payload={"build": build.pk, "result": build.result, "run": run_id, "commit": commit},
        )
    return ReportOutcome(build, created, changed)
