"""Risk of a change from its impact analysis and questionnaire, and the class it suggests.

Pure: facts in, a score out, so the page can explain every point. The weights follow the
rollback criteria and classes of DOMAIN.md: what hits critical services, many users or data,
or cannot be undone safely weighs most.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

MEDIUM_FROM = 3
HIGH_FROM = 6

FACTORS = {
    "critical_service": (3, _("A critical service is affected")),
    "high_service": (1, _("A high-criticality service is affected")),
    "wide_impact": (1, _("More than five services are impacted")),
    "many_users": (2, _("1,000 or more users are affected")),
    "some_users": (1, _("100 or more users are affected")),
    "short_lead_time": (2, _("Less notice than a normal change needs")),
    "no_rollback_plan": (3, _("No rollback plan")),
    "rollback_untested": (2, _("The rollback plan is not tested")),
    "downtime": (1, _("Users will notice downtime")),
    "data_change": (2, _("Data is migrated or changed")),
    "untested": (1, _("Not tested outside production")),
    "first_time": (1, _("Never done before")),
}


@dataclass(frozen=True)
class RiskInput:
    criticalities: tuple[int, ...] = ()  # of the impacted services (1 = critical)
    impacted_count: int = 0
    affected_users: int = 0
    lead_time_short: bool = False
    has_rollback_plan: bool = True
    rollback_tested: bool = False
    causes_downtime: bool = False
    changes_data: bool = False
    tested_beforehand: bool = False
    first_of_its_kind: bool = False


@dataclass(frozen=True)
class RiskResult:
    score: int
    level: str
    reasons: list[str] = field(default_factory=list)
    suggested_class: str = "normal"


def assess(facts: RiskInput) -> RiskResult:
    reasons: list[str] = []
    if 1 in facts.criticalities:
        reasons.append("critical_service")
    elif 2 in facts.criticalities:
        reasons.append("high_service")
    if facts.impacted_count > 5:
        reasons.append("wide_impact")
    if facts.affected_users >= 1000:
        reasons.append("many_users")
    elif facts.affected_users >= 100:
        reasons.append("some_users")
    if facts.lead_time_short:
        reasons.append("short_lead_time")
    if not facts.has_rollback_plan:
        reasons.append("no_rollback_plan")
    elif not facts.rollback_tested:
        reasons.append("rollback_untested")
    if facts.causes_downtime:
        reasons.append("downtime")
    if facts.changes_data:
        reasons.append("data_change")
    if not facts.tested_beforehand:
        reasons.append("untested")
    if facts.first_of_its_kind:
        reasons.append("first_time")
    score = sum(FACTORS[r][0] for r in reasons)
    if score >= HIGH_FROM:
        level, suggested = "high", "major"
    elif score >= MEDIUM_FROM:
        level, suggested = "medium", "normal"
    else:
        level, suggested = "low", "standard"
    return RiskResult(score=score, level=level, reasons=reasons, suggested_class=suggested)


def explain(reasons: list[str]) -> list[tuple[int, str]]:
    """(points, translated label) per recorded factor, for the detail page and the API."""
    return [(FACTORS[r][0], str(FACTORS[r][1])) for r in reasons if r in FACTORS]
