"""Backup compliance report.

Now: every target's compliance (age of its newest verified backup against its RPO: met, at
risk, breached), the 3-2-1 rule and overdue restore tests — computed by the backups app's
own SQL (backups.selectors.with_compliance), so both apps tell the same story. Per month:
backup runs and their outcome (by the month they were created, as the run list filters),
restore tests held (by planned month) against the RTO and RPO, and RPO breaches alerted.
Team and service are the target's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, F, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backups.alerts import ALERT_ACTION
from backups.models import BackupRun, BackupTarget, RestoreTest
from backups.selectors import Compliance, with_compliance
from itsm.models import AuditEvent

from .. import drilldown
from ..params import ReportParams, add_months
from ..tables import DATETIME, PERCENT, TEXT, Column, Table, percent
from .common import count, month_label, per_month

RUN = BackupRun.Status
DRILL = RestoreTest.Status
GOOD = [RUN.SUCCEEDED, RUN.VERIFIED]
BAD = [RUN.FAILED, RUN.VERIFICATION_FAILED]


def targets(params: ReportParams):
    qs = BackupTarget.objects.filter(is_active=True)
    if params.team is not None:
        qs = qs.filter(owner_team=params.team)
    if params.service is not None:
        qs = qs.filter(service=params.service)
    return qs


def _target_filters(params: ReportParams) -> dict:
    return {
        "team": params.team.slug if params.team else None,
        "service": params.service.slug if params.service else None,
    }


@dataclass
class BackupReport:
    params: ReportParams
    totals: dict
    tables: dict[str, Table] = field(default_factory=dict)

    def chart(self) -> dict:
        rows = self.tables["by_month"].rows
        return {
            "type": "bar",
            "stacked": True,
            "labels": [row["label"] for row in rows],
            "datasets": [
                {"label": str(_("Verified")), "data": [r["verified"] for r in rows]},
                {
                    "label": str(_("Succeeded, not verified")),
                    "data": [r["unverified"] for r in rows],
                },
                {"label": str(_("Failed")), "data": [r["failed"] for r in rows]},
                {
                    "label": str(_("Success rate %")),
                    "data": [r["success_rate"] for r in rows],
                    "type": "line",
                    "yAxisID": "percent",
                },
            ],
            "axes": {"count": str(_("Backup runs")), "percent": str(_("Rate %"))},
        }


def _compliance(params: ReportParams, now: dt.datetime) -> tuple[Table, dict]:
    table = Table(
        "compliance",
        str(_("Compliance now")),
        [
            Column("name", _("Target"), TEXT),
            Column("kind", _("Kind"), TEXT),
            Column("team", _("Team"), TEXT),
            Column("compliance", _("RPO"), TEXT),
            Column("last_verified", _("Newest verified backup"), DATETIME),
            Column("rule_321", _("3-2-1"), TEXT),
            Column("last_drill", _("Last restore test"), TEXT),
            Column("next_drill_at", _("Next restore test"), DATETIME),
        ],
        note=str(_("As of now, any month: active targets, worst first.")),
        empty=str(_("No backup targets yet. Add them on the backups page.")),
    )
    rows = with_compliance(targets(params).select_related("owner_team"), now).order_by(
        "severity", "name"
    )
    counts = {state: 0 for state, _label in Compliance.CHOICES}
    rule_321 = drills_overdue = 0
    yes, no = str(_("met")), str(_("not met"))
    drill_labels = dict(DRILL.choices)
    for target in rows:
        counts[target.compliance] += 1
        rule_321 += target.rule_321
        drills_overdue += target.drill_overdue
        table.add(
            {
                "slug": target.slug,
                "name": target.name,
                "kind": target.get_kind_display(),
                "team": target.owner_team.name if target.owner_team else "",
                "compliance": str(Compliance.LABELS[target.compliance]),
                "compliance_key": target.compliance,
                "last_verified": target.last_verified,
                "rule_321": yes if target.rule_321 else no,
                "last_drill": str(drill_labels.get(target.last_drill_status, "")),
                "next_drill_at": target.next_drill_at,
            },
            {"name": target.get_absolute_url()},
        )
    totals = {
        "targets": len(table.rows),
        **{f"rpo_{state}": n for state, n in counts.items()},
        "rule_321_met": rule_321,
        "drills_overdue": drills_overdue,
    }
    return table, totals


def _by_month(params: ReportParams) -> Table:
    table = Table(
        "by_month",
        str(_("Backups and restore tests by month")),
        [
            Column("label", _("Month"), TEXT),
            Column("runs", _("Backup runs")),
            Column("verified", _("Verified")),
            Column("unverified", _("Succeeded, not verified")),
            Column("failed", _("Failed")),
            Column("success_rate", _("Success rate"), PERCENT),
            Column("drills", _("Restore tests held")),
            Column("drills_passed", _("Passed")),
            Column("drills_within_rto", _("Within RTO")),
            Column("rpo_breaches", _("RPO breaches")),
        ],
        note=str(
            _(
                "Runs by the month they were created, restore tests by their planned month, "
                "RPO breaches by the month they were alerted. The run and restore-test lists "
                "filter by target, not by team or service."
            )
        ),
    )
    chosen = targets(params).values("pk")
    runs = per_month(
        BackupRun.objects.filter(
            target__in=chosen, created_at__gte=params.start, created_at__lt=params.end
        ).exclude(status=RUN.SCHEDULED),
        "created_at",
        params,
        runs=count(),
        verified=count(Q(status=RUN.VERIFIED)),
        unverified=count(Q(status=RUN.SUCCEEDED)),
        failed=count(Q(status__in=BAD)),
        # expired and purged runs held data once; failed ones are recorded as failed
        good=count(Q(status__in=GOOD) | Q(verified_at__isnull=False)),
    )
    drills = per_month(
        RestoreTest.objects.filter(
            target__in=chosen, planned_for__gte=params.start, planned_for__lt=params.end
        ),
        "planned_for",
        params,
        drills=count(Q(status__in=[DRILL.PASSED, DRILL.FAILED])),
        drills_passed=count(Q(status=DRILL.PASSED)),
        drills_within_rto=count(
            Q(
                status__in=[DRILL.PASSED, DRILL.FAILED],
                recovery_time__isnull=False,
                rto_target__isnull=False,
                recovery_time__lte=F("rto_target"),
            ),
        ),
    )
    alerts = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(BackupTarget),
        object_id__in=targets(params).values(pk_text=Cast("pk", output_field=CharField())),
        action=ALERT_ACTION,
        payload__key__startswith="rpo:",
        at__gte=params.start,
        at__lt=params.end,
    )
    breaches = {
        month: row["n"] for month, row in per_month(alerts, "at", params, n=count()).items()
    }
    for month in params.months:
        run, drill = runs.get(month, {}), drills.get(month, {})
        last_day = add_months(month, 1) - dt.timedelta(days=1)
        period = {"created_after": month.isoformat(), "created_before": last_day.isoformat()}
        drill_period = {"planned_after": month.isoformat(), "planned_before": last_day.isoformat()}
        failed = run.get("failed", 0)
        table.add(
            {
                "month": month.isoformat(),
                "label": month_label(month),
                "runs": run.get("runs", 0),
                "verified": run.get("verified", 0),
                "unverified": run.get("unverified", 0),
                "failed": failed,
                "success_rate": percent(run.get("good", 0), run.get("good", 0) + failed),
                "drills": drill.get("drills", 0),
                "drills_passed": drill.get("drills_passed", 0),
                "drills_within_rto": drill.get("drills_within_rto", 0),
                "rpo_breaches": breaches.get(month, 0),
            },
            {
                "runs": drilldown.url("backups:runs", period),
                "verified": drilldown.url("backups:runs", {**period, "status": [RUN.VERIFIED]}),
                "unverified": drilldown.url("backups:runs", {**period, "status": [RUN.SUCCEEDED]}),
                "failed": drilldown.url("backups:runs", {**period, "status": BAD}),
                "drills": drilldown.url(
                    "backups:drills", {**drill_period, "status": [DRILL.PASSED, DRILL.FAILED]}
                ),
                "drills_passed": drilldown.url(
                    "backups:drills", {**drill_period, "status": [DRILL.PASSED]}
                ),
            },
        )
    return table


def backup_report(params: ReportParams, *, now: dt.datetime | None = None) -> BackupReport:
    now = now or timezone.now()
    compliance, totals = _compliance(params, now)
    filters = _target_filters(params)
    totals["_links"] = {
        f"rpo_{state}": drilldown.url("backups:list", {"compliance": [state], **filters})
        for state, _label in Compliance.CHOICES
    }
    totals["_links"]["rule_321_met"] = drilldown.url(
        "backups:list", {"rule_321": "true", **filters}
    )
    totals["_links"]["drills_overdue"] = drilldown.url(
        "backups:list", {"drill_overdue": "true", **filters}
    )
    report = BackupReport(params=params, totals=totals)
    report.tables["by_month"] = _by_month(params)
    report.tables["compliance"] = compliance
    months = report.tables["by_month"].rows
    report.totals["runs"] = sum(r["runs"] for r in months)
    report.totals["failed_runs"] = sum(r["failed"] for r in months)
    report.totals["rpo_breaches"] = sum(r["rpo_breaches"] for r in months)
    return report
