"""Promotion gates: what must be true before a release moves on, and why it may not.

Each promotion lists its gates; a gate that is not met refuses the promotion with a message
that names it. The same checks are the FSM conditions of the transitions, so the detail page
shows exactly the buttons that would work, and every door (page, API, CI) meets the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.errors import Conflict

from .models import Deployment, Environment, Kind, Release, ReleaseKindPolicy, Stage, TestRun


@dataclass(frozen=True)
class Gate:
    code: str
    label: str
    met: bool
    detail: str = ""


class GateNotMet(Conflict):
    """A promotion gate is not met: 409 with the gates that failed."""

    default_code = "gate_not_met"

    def __init__(self, gates: list[Gate]):
        self.gates = gates
        reasons = "; ".join(f"{gate.label}: {gate.detail}" for gate in gates)
        super().__init__(_("Promotion refused. Gate not met — %(reasons)s") % {"reasons": reasons})


# --- the production change gate: the one place the changes app is consulted -------------------
def _approved_change_covering(*, service_ids: list[int], at: datetime):
    """changes.selectors.approved_change_covering, or None while that app is not installed."""
    try:
        from changes.selectors import approved_change_covering
    except ImportError:
        return None
    return approved_change_covering(service_ids=service_ids, at=at)


def allowed_change_classes(release: Release) -> list[str]:
    """The classes of approved change that may cover this release (policy; hotfix: emergency)."""
    policy = ReleaseKindPolicy.objects.filter(kind=release.kind).first()
    if policy is not None and policy.covering_change_classes:
        return list(policy.covering_change_classes)
    return ["emergency"] if release.kind == Kind.HOTFIX else ["standard", "normal", "major"]


def _linked_change_covering(release: Release, *, service_ids: list[int], at: datetime, classes):
    """A change linked to the release that is approved, in its window now, names every
    service of the release and has an allowed class. Lets a hotfix's emergency change win
    when another (normal) change also covers the same services."""
    try:
        from changes.selectors import COVERING_STATES
    except ImportError:
        return None
    for change in (
        release.changes.filter(
            status__in=COVERING_STATES,
            change_class__in=classes,
            planned_start__lte=at,
            planned_end__gt=at,
        )
        .prefetch_related("services")
        .order_by("planned_start", "pk")
    ):
        if set(service_ids) <= {s.pk for s in change.services.all()}:
            return change
    return None


def covering_change(release: Release, *, at: datetime):
    """The approved change that covers a production promotion of `release` now, or None."""
    service_ids = sorted(release.services.values_list("pk", flat=True))
    if not service_ids:
        return None
    classes = allowed_change_classes(release)
    change = _approved_change_covering(service_ids=service_ids, at=at)
    if change is not None and change.change_class in classes:
        return change
    return _linked_change_covering(release, service_ids=service_ids, at=at, classes=classes)


def change_gate(release: Release, *, at: datetime) -> tuple[Gate, object | None]:
    change = covering_change(release, at=at)
    label = _("Approved change")
    if change is not None:
        return Gate("approved_change", label, True, str(change)), change
    classes = allowed_change_classes(release)
    if release.kind == Kind.HOTFIX:
        detail = _("a hotfix goes with an approved emergency change; none covers its services now")
    else:
        detail = _("no approved change (%(classes)s) covers the release's services now") % {
            "classes": ", ".join(classes)
        }
    return Gate("approved_change", label, False, detail), None


# --- the checks of each stage ------------------------------------------------------------------
def _latest(qs):
    return qs.order_by("-created_at", "-pk").first()


def build_gate(release: Release) -> Gate:
    label = _("Build")
    build = _latest(release.builds.filter(version=release.version))
    if build is None:
        return Gate("build", label, False, _("no build of %(v)s reported") % {"v": release.version})
    if build.result != build.Result.SUCCEEDED:
        return Gate(
            "build",
            label,
            False,
            _("the latest build (run %(run)s) is %(result)s")
            % {"run": build.run_id, "result": build.get_result_display()},
        )
    return Gate("build", label, True, _("run %(run)s succeeded") % {"run": build.run_id})


def deployed_gate(release: Release, environment: str) -> Gate:
    env_label = Environment(environment).label
    label = _("Deployed to %(env)s") % {"env": env_label}
    deployment = _latest(
        release.deployments.filter(environment=environment, attempt=release.attempt)
    )
    if deployment is None:
        return Gate(f"deployed_{environment}", label, False, _("no deployment reported"))
    if deployment.result != Deployment.Result.SUCCEEDED:
        return Gate(
            f"deployed_{environment}",
            label,
            False,
            _("the latest deployment (run %(run)s) is %(result)s")
            % {"run": deployment.run_id, "result": deployment.get_result_display()},
        )
    return Gate(
        f"deployed_{environment}", label, True, _("run %(run)s") % {"run": deployment.run_id}
    )


def checks_gate(release: Release, environment: str, *, required: bool = True) -> Gate:
    """The latest result of every suite run in `environment` this round has passed."""
    env_label = Environment(environment).label
    label = _("Checks in %(env)s") % {"env": env_label}
    runs = release.test_runs.filter(environment=environment, attempt=release.attempt)
    latest: dict[str, TestRun] = {}
    for run in runs.order_by("created_at", "pk"):
        latest[run.suite] = run
    if not latest:
        if required:
            return Gate(f"checks_{environment}", label, False, _("no test results reported"))
        return Gate(f"checks_{environment}", label, True, _("none reported"))
    failing = sorted(s for s, run in latest.items() if run.result == TestRun.Result.FAILED)
    running = sorted(s for s, run in latest.items() if run.result == TestRun.Result.IN_PROGRESS)
    if failing:
        return Gate(
            f"checks_{environment}",
            label,
            False,
            _("failing: %(suites)s") % {"suites": ", ".join(failing)},
        )
    if running:
        return Gate(
            f"checks_{environment}",
            label,
            False,
            _("still running: %(suites)s") % {"suites": ", ".join(running)},
        )
    return Gate(
        f"checks_{environment}",
        label,
        True,
        _("%(n)d suite(s) passed") % {"n": len(latest)},
    )


def canary_window_gate(release: Release, *, at: datetime) -> Gate:
    label = _("Canary observation")
    deployment = _latest(
        release.deployments.filter(
            environment=Environment.CANARY,
            attempt=release.attempt,
            result=Deployment.Result.SUCCEEDED,
        )
    )
    minutes = release.canary_duration_minutes or 0
    if deployment is None or deployment.finished_at is None:
        return Gate("canary_window", label, False, _("the canary has not finished deploying"))
    ends = deployment.finished_at + timedelta(minutes=minutes)
    if at < ends:
        remaining = int((ends - at).total_seconds() // 60) + 1
        return Gate(
            "canary_window",
            label,
            False,
            _("observe the canary %(n)d more minute(s)") % {"n": remaining},
        )
    return Gate("canary_window", label, True, _("%(n)d minute(s) observed") % {"n": minutes})


def strategy_gate(release: Release, *, canary: bool) -> Gate:
    label = _("Deployment strategy")
    if canary and not release.uses_canary:
        return Gate(
            "strategy",
            label,
            False,
            _("the strategy is %(s)s: promote from staging straight to production")
            % {"s": release.get_strategy_display()},
        )
    if not canary and release.uses_canary:
        return Gate(
            "strategy", label, False, _("a canary release goes through the canary stage first")
        )
    return Gate("strategy", label, True, release.get_strategy_display())


# --- gates per promotion -----------------------------------------------------------------------
def gates_for(release: Release, verb: str, *, at: datetime | None = None) -> list[Gate]:
    """Every gate of promotion `verb` from the release's current stage, met or not."""
    at = at or timezone.now()
    if verb == "start_testing":
        return [build_gate(release)]
    if verb == "promote_to_staging":
        return [deployed_gate(release, Environment.TEST), checks_gate(release, Environment.TEST)]
    if verb == "start_canary":
        return [
            strategy_gate(release, canary=True),
            deployed_gate(release, Environment.STAGING),
            checks_gate(release, Environment.STAGING),
        ]
    if verb == "promote_to_production":
        if release.stage == Stage.CANARY:
            gates = [
                deployed_gate(release, Environment.CANARY),
                canary_window_gate(release, at=at),
                checks_gate(release, Environment.CANARY, required=False),
            ]
        else:
            gates = [
                strategy_gate(release, canary=False),
                deployed_gate(release, Environment.STAGING),
                checks_gate(release, Environment.STAGING),
            ]
        return [*gates, change_gate(release, at=at)[0]]
    if verb == "complete":
        return [deployed_gate(release, Environment.PRODUCTION)]
    return []


def gates_met(release: Release, verb: str, *, at: datetime | None = None) -> bool:
    return all(gate.met for gate in gates_for(release, verb, at=at))


def require(release: Release, verb: str, *, at: datetime) -> None:
    unmet = [gate for gate in gates_for(release, verb, at=at) if not gate.met]
    if unmet:
        raise GateNotMet(unmet)


NEXT_PROMOTION = {
    Stage.DEVELOPMENT: ["start_testing"],
    Stage.TEST: ["promote_to_staging"],
    Stage.STAGING: ["start_canary", "promote_to_production"],
    Stage.CANARY: ["promote_to_production"],
    Stage.PRODUCTION: ["complete"],
}


def next_gates(release: Release, *, at: datetime | None = None) -> list[tuple[str, list[Gate]]]:
    """The promotions open from the current stage with their gates: the detail page's panel."""
    verbs = NEXT_PROMOTION.get(release.stage, [])
    if release.stage == Stage.STAGING:
        verbs = ["start_canary"] if release.uses_canary else ["promote_to_production"]
    return [(verb, gates_for(release, verb, at=at)) for verb in verbs]
