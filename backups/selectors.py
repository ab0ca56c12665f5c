"""Reads shared by pages and the API. Compliance is computed in SQL, one query for any number
of targets: correlated subqueries (no GROUP BY, no join fan-out) and a CASE on the age of
the newest verified backup against the RPO."""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.models import AuditEvent

from .alerts import ALERT_ACTION
from .models import BackupPolicy, BackupRun, BackupTarget, RestoreTest


class Compliance:
    MET, AT_RISK, BREACHED, NONE = "met", "at_risk", "breached", "none"
    CHOICES = [
        (BREACHED, _("Breached")),
        (AT_RISK, _("At risk")),
        (MET, _("Met")),
        (NONE, _("No RPO")),
    ]
    LABELS = dict(CHOICES)
    # with_compliance's `severity`, which orders the dashboard, per compliance state
    SEVERITY = {BREACHED: 0, AT_RISK: 1, MET: 2, NONE: 3}
    BY_SEVERITY = {v: k for k, v in SEVERITY.items()}


def _first(qs: QuerySet, field: str, output) -> Subquery:
    return Subquery(qs.values(field)[:1], output_field=output)


def _count(qs: QuerySet, field: str) -> Coalesce:
    counted = qs.order_by().values("target").annotate(n=Count(field, distinct=True)).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_compliance(qs: QuerySet[BackupTarget], now: datetime | None = None):
    """Annotate targets with `severity` (0 breached, 1 at risk, 2 met, 3 no RPO: the order of
    the dashboard), `last_verified`, `rpo_deadline`, the 3-2-1 counts, last run, next run and
    restore tests. `now` is a parameter so the same query answers "as of" a time.

    Each value is computed once per row: an annotation that another one reuses is inlined by
    the ORM (a subquery per use), so the labels and the 3-2-1 verdict are derived from these
    figures by model properties (BackupTarget.compliance, .rule_321), and filters build their
    own SQL conditions (see filters.TargetFilter).
    """
    now = now or timezone.now()
    at = Value(now, output_field=DateTimeField())
    runs = BackupRun.objects.filter(target=OuterRef("pk"))
    verified = runs.filter(status=BackupRun.Status.VERIFIED, recovery_point__isnull=False)
    latest_run = runs.order_by("-created_at", "-pk")
    policies = BackupPolicy.objects.filter(target=OuterRef("pk"), is_active=True)
    held = RestoreTest.objects.filter(
        target=OuterRef("pk"), status__in=[RestoreTest.Status.PASSED, RestoreTest.Status.FAILED]
    ).order_by("-recorded_at", "-pk")
    planned = RestoreTest.objects.filter(
        target=OuterRef("pk"), status=RestoreTest.Status.PLANNED
    ).order_by("planned_for", "pk")
    next_run = (
        policies.filter(interval__isnull=False)
        .order_by()
        .values("target")
        # A policy never run yet is due at the next tick: show it as due now.
        .annotate(m=Min(Coalesce("next_run_at", at)))
        .values("m")[:1]
    )
    qs = qs.annotate(
        last_verified=_first(
            verified.order_by("-recovery_point"), "recovery_point", DateTimeField()
        ),
        last_run_id=_first(latest_run, "pk", IntegerField()),
        last_run_status=_first(latest_run, "status", CharField()),
        last_run_at=_first(latest_run, "created_at", DateTimeField()),
        next_run_at=Subquery(next_run, output_field=DateTimeField()),
        last_drill_status=_first(held, "status", CharField()),
        last_drill_at=_first(held, "recorded_at", DateTimeField()),
        next_drill_id=_first(planned, "pk", IntegerField()),
        next_drill_at=_first(planned, "planned_for", DateTimeField()),
        backup_copies=_count(policies, "storage_location"),
        off_site_copies=_count(
            policies.filter(storage_location__off_site=True), "storage_location"
        ),
        other_media=_count(
            policies.exclude(storage_location__medium=OuterRef("primary_medium")),
            "storage_location__medium",
        ),
    )
    base = Coalesce("last_verified", "created_at")
    age = ExpressionWrapper(at - base, output_field=DurationField())
    # at risk from at_risk_percent of the RPO: age × 100 ≥ RPO × percent (no division, which
    # SQLite's duration arithmetic would turn into a float)
    age_x100 = ExpressionWrapper(age * 100, output_field=DurationField())
    rpo_x_percent = ExpressionWrapper(
        F("rpo") * Cast("at_risk_percent", IntegerField()), output_field=DurationField()
    )
    return qs.annotate(
        rpo_deadline=ExpressionWrapper(base + F("rpo"), output_field=DateTimeField()),
        severity=Case(
            When(Q(rpo__isnull=True) | Q(is_active=False), then=Value(3)),
            When(GreaterThanOrEqual(age, F("rpo")), then=Value(0)),
            When(
                Q(last_verified__isnull=True) | GreaterThanOrEqual(age_x100, rpo_x_percent),
                then=Value(1),
            ),
            default=Value(2),
            output_field=IntegerField(),
        ),
    )


def target_dashboard(now: datetime | None = None) -> QuerySet[BackupTarget]:
    qs = BackupTarget.objects.select_related("service", "owner_team")
    return with_compliance(qs, now).order_by("-is_active", "severity", "name")


def run_list() -> QuerySet[BackupRun]:
    return BackupRun.objects.select_related("target", "policy").order_by("-created_at", "-pk")


def drill_list() -> QuerySet[RestoreTest]:
    return RestoreTest.objects.select_related("target", "assignee", "run").order_by(
        F("planned_for").desc(), "-pk"
    )


def timeline(obj) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.for_object(obj).select_related("actor").order_by("at", "pk")


def recent_alerts(limit: int = 10) -> QuerySet[AuditEvent]:
    types = ContentType.objects.get_for_models(BackupTarget, BackupRun, RestoreTest).values()
    return (
        AuditEvent.objects.filter(action=ALERT_ACTION, content_type__in=list(types))
        .select_related("content_type")
        .order_by("-at", "-pk")[:limit]
    )
