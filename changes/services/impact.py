"""Impact analysis, risk, lead time, freeze periods and conflicts: the checks a change meets
before and when it is scheduled."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext as _

from itsm.business_time import add_business_days, business_days_between
from itsm.errors import DomainError
from itsm.models import Service
from itsm.models import impacted_services as catalogue_impact

from .. import risk
from ..models import (
    Change,
    ChangeClass,
    ChangeClassPolicy,
    ChangeConflict,
    FreezePeriod,
)
from ._base import calendar_for


def impacted_services(services: list[Service]) -> list[Service]:
    """The affected services and everything that depends on them, by name."""
    return sorted(catalogue_impact(services), key=lambda s: s.name)


def lead_days(change: Change, since: datetime) -> int | None:
    if change.planned_start is None:
        return None
    spec, _name = calendar_for(change)
    return business_days_between(spec, since, change.planned_start)


def refresh_impact(change: Change, *, now: datetime) -> None:
    """Recompute impacted services and the risk; the caller saves the change."""
    services = list(change.services.all())
    impacted = impacted_services(services)
    change.impacted_services.set(impacted)
    short = False
    if change.change_class != ChangeClass.STANDARD:
        days = lead_days(change, change.submitted_at or now)
        baseline = ChangeClassPolicy.for_class(ChangeClass.NORMAL).lead_time_business_days
        short = days is not None and days < baseline
    result = risk.assess(
        risk.RiskInput(
            criticalities=tuple(s.criticality for s in impacted),
            impacted_count=len(impacted),
            affected_users=change.affected_users,
            lead_time_short=short,
            has_rollback_plan=bool(change.rollback_plan.strip()) or change.template_id is not None,
            rollback_tested=change.rollback_tested or change.template_id is not None,
            causes_downtime=change.causes_downtime,
            changes_data=change.changes_data,
            tested_beforehand=change.tested_beforehand or change.template_id is not None,
            first_of_its_kind=change.first_of_its_kind,
        )
    )
    change.risk_score = result.score
    change.risk_level = result.level
    change.risk_reasons = result.reasons
    change.suggested_class = result.suggested_class


def check_window(change: Change, *, now: datetime) -> None:
    if not change.planned_start or not change.planned_end:
        raise DomainError(_("Plan a window (start and end)."), field="planned_start")
    if change.planned_end <= change.planned_start:
        raise DomainError(
            _("The planned end must be after the planned start."), field="planned_end"
        )
    if change.planned_end <= now:
        raise DomainError(_("The planned window is already over."), field="planned_end")


def check_lead_time(change: Change, policy: ChangeClassPolicy, *, submitted_at: datetime) -> None:
    """Refuse a planned start too close to the submission on the owning team's calendar."""
    needed = policy.lead_time_business_days
    if not needed or change.planned_start is None:
        return
    spec, calendar_name = calendar_for(change)
    have = business_days_between(spec, submitted_at, change.planned_start)
    if have >= needed:
        return
    earliest = add_business_days(spec, submitted_at, needed).astimezone(spec.zone).date()
    raise DomainError(
        _(
            "A %(klass)s change needs at least %(needed)s business days between submission and "
            "the planned start on the %(calendar)s calendar; this one has %(have)s. The earliest "
            "possible start is %(earliest)s. If it cannot wait, file it as an emergency change."
        )
        % {
            "klass": change.get_change_class_display().lower(),
            "needed": needed,
            "calendar": calendar_name,
            "have": have,
            "earliest": formats.date_format(earliest, "DATE_FORMAT"),
        },
        code="lead_time",
        field="planned_start",
    )


def freeze_periods_for(change: Change) -> list[FreezePeriod]:
    """Freeze periods overlapping the change's window that cover one of its services."""
    if not change.planned_start or not change.planned_end:
        return []
    ids = {s.pk for s in change.impacted_services.all()} | change.service_ids
    periods = FreezePeriod.objects.filter(
        start__lt=change.planned_end, end__gt=change.planned_start
    ).prefetch_related("services")
    return [p for p in periods if p.covers_services(ids)]


def check_freeze(change: Change, policy: ChangeClassPolicy) -> None:
    if policy.freeze_exempt:
        return
    periods = freeze_periods_for(change)
    if periods:
        raise DomainError(
            _(
                "The window falls in the freeze period “%(name)s” (%(start)s – %(end)s). "
                "Choose another window; only emergency changes may run during a freeze."
            )
            % {
                "name": periods[0].name,
                "start": formats.date_format(periods[0].start, "SHORT_DATETIME_FORMAT"),
                "end": formats.date_format(periods[0].end, "SHORT_DATETIME_FORMAT"),
            },
            code="freeze_period",
            field="planned_start",
        )


def find_conflicts(change: Change) -> list[tuple[Change, list[str]]]:
    """Other active changes whose window overlaps this one on a shared (impacted) service."""
    if not change.planned_start or not change.planned_end:
        return []
    mine = {s.pk: s.name for s in change.impacted_services.all()}
    mine.update({s.pk: s.name for s in change.services.all()})
    if not mine:
        return []
    others = (
        Change.objects.active()
        .exclude(pk=change.pk)
        .overlapping(change.planned_start, change.planned_end)
        .filter(Q(services__in=mine) | Q(impacted_services__in=mine))
        .distinct()
        .prefetch_related("services", "impacted_services")
    )
    found = []
    for other in others:
        theirs = {s.pk for s in other.services.all()} | {
            s.pk for s in other.impacted_services.all()
        }
        shared = sorted(mine[pk] for pk in theirs & set(mine))
        found.append((other, shared))
    return found


def record_conflicts(change: Change, *, now: datetime) -> list[tuple[Change, list[str]]]:
    """Store the conflicts found now (replacing older findings for this change)."""
    found = find_conflicts(change)
    ChangeConflict.objects.filter(change=change).delete()
    ChangeConflict.objects.bulk_create(
        [ChangeConflict(change=change, other=o, services=s, detected_at=now) for o, s in found]
    )
    return found
