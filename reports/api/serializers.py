"""Report figures as JSON. Durations are seconds (floats), percentages 0–100 with one decimal,
months ISO dates of their first day; `links` are the page URLs of the tickets behind figures.

Every serializer name starts with "Report" so the OpenAPI components stay unique.
"""

from rest_framework import serializers as s

from ..params import DEFAULT_MONTHS, MAX_MONTHS
from ..selectors.sla import P90_MONTHS


class ReportQuerySerializer(s.Serializer):
    """The query parameters every report takes (documentation; validation is the form's)."""

    to = s.CharField(
        required=False, help_text="Last month, YYYY-MM (default: this month, in `tz`)."
    )
    priority = s.MultipleChoiceField(
        choices=["P1", "P2", "P3", "P4"], required=False, help_text="Repeat to pick several."
    )
    team = s.SlugField(required=False, help_text="Team slug (the incident's or change's team).")
    service = s.SlugField(
        required=False, help_text="Service slug: the incident's own or an affected service."
    )
    tz = s.CharField(
        required=False, help_text="IANA time zone the months are counted in (default: yours)."
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = s.CharField(
            required=False,
            help_text=f"First month, YYYY-MM (default: {DEFAULT_MONTHS} months up to `to`; "
            f"at most {MAX_MONTHS} months).",
        )
        return fields


class ReportFiltersSerializer(s.Serializer):
    first_month = s.DateField()
    last_month = s.DateField()
    time_zone = s.CharField()
    priorities = s.ListField(child=s.CharField())
    team = s.CharField(allow_null=True)
    service = s.CharField(allow_null=True)


def _links():
    return s.DictField(child=s.CharField(), required=False)


class ReportBodySerializer(s.Serializer):
    """What every report answers first: the filters it applied."""

    filters = ReportFiltersSerializer()


class ReportMonthSerializer(s.Serializer):
    """A row of a per-month table: the month (its first day) and its label."""

    month = s.DateField()
    label = s.CharField()


def figures(
    name: str,
    *,
    base: type[s.Serializer] = s.Serializer,
    counts: str = "",
    numbers: str = "",
    help: dict[str, str] | None = None,
    links: bool = True,
    **fields,
) -> type[s.Serializer]:
    """A serializer of report figures named `name`: `counts` are integers, `numbers` (rates,
    means, durations) are null where there is nothing to divide or measure; `help` documents
    some of them, `fields` adds others, `links` the drill-down URLs of the figures."""
    help = help or {}
    declared = {key: s.IntegerField(help_text=help.get(key)) for key in counts.split()}
    for key in numbers.split():
        declared[key] = s.FloatField(allow_null=True, help_text=help.get(key))
    declared.update(fields)
    if links:
        declared["links"] = _links()
    return type(base)(f"{name}Serializer", (base,), {**declared, "__module__": __name__})


def _row(figures: type[s.Serializer], key_help: str) -> type[s.Serializer]:
    """A row of a table of `figures`: a month's, or a key's (priority, class, ...), labelled."""
    fields = {
        "key": s.CharField(required=False, help_text=key_help),
        "month": s.DateField(required=False),
        "label": s.CharField(),
        "__module__": __name__,
    }
    return type(figures)(figures.__name__.replace("Figures", "Row"), (figures,), fields)


ReportSlaFiguresSerializer = figures(
    "ReportSlaFigures",
    counts="tickets response_met response_breached resolution_met resolution_breached "
    "breached_tickets",
    numbers="response_met_pct resolution_met_pct mtta_s p90_tta_s mttr_s p90_ttr_s",
    help={
        "breached_tickets": "Incidents with a breach of either clock.",
        "mtta_s": "Mean time to acknowledge (counted).",
        "mttr_s": "Mean time to resolve (counted).",
        "p90_tta_s": "p90 time to acknowledge; in month rows only for periods of up to "
        f"{P90_MONTHS} months (null above).",
        "p90_ttr_s": "p90 time to resolve; in month rows only for periods of up to "
        f"{P90_MONTHS} months (null above).",
    },
)


ReportSlaRowSerializer = _row(ReportSlaFiguresSerializer, "Priority, team slug or service slug.")


class ReportSlaBreachSerializer(s.Serializer):
    incident_id = s.IntegerField()
    reference = s.CharField()
    title = s.CharField()
    priority = s.CharField()
    team = s.CharField()
    detected_at = s.DateTimeField()
    response = s.CharField()
    resolution = s.CharField()
    links = _links()


class ReportSlaSerializer(ReportBodySerializer):
    totals = ReportSlaFiguresSerializer()
    by_month = ReportSlaRowSerializer(many=True)
    by_priority = ReportSlaRowSerializer(many=True, required=False)
    by_team = ReportSlaRowSerializer(many=True, required=False)
    by_service = ReportSlaRowSerializer(many=True, required=False)
    breaches = ReportSlaBreachSerializer(many=True)


class ReportSlaStepSerializer(s.Serializer):
    at = s.DateTimeField()
    kind = s.ChoiceField(
        choices=["started", "paused", "resumed", "warned", "breached", "stopped", "running"]
    )
    label = s.CharField()
    counted_s = s.FloatField(allow_null=True)


class ReportSlaClockSerializer(s.Serializer):
    name = s.CharField()
    label = s.CharField()
    mode = s.CharField()
    calendar = s.CharField(allow_null=True)
    target_s = s.FloatField()
    elapsed_s = s.FloatField()
    paused_s = s.FloatField()
    outcome = s.ChoiceField(choices=["met", "breached", "running"])
    started_at = s.DateTimeField()
    stopped_at = s.DateTimeField(allow_null=True)
    warned_at = s.DateTimeField(allow_null=True)
    breached_at = s.DateTimeField(allow_null=True)
    deadline = s.DateTimeField(allow_null=True)
    steps = ReportSlaStepSerializer(many=True)


class ReportSlaEventSerializer(s.Serializer):
    at = s.DateTimeField()
    action = s.CharField()
    from_state = s.CharField()
    to_state = s.CharField()
    actor = s.CharField(allow_null=True)
    source = s.CharField()
    message = s.CharField()


class ReportSlaIncidentSerializer(s.Serializer):
    incident_id = s.IntegerField()
    reference = s.CharField()
    priority = s.CharField()
    clocks = ReportSlaClockSerializer(many=True)
    events = ReportSlaEventSerializer(many=True)


ReportPostmortemMonthSerializer = figures(
    "ReportPostmortemMonth",
    base=ReportMonthSerializer,
    counts="total draft in_review published missing",
    numbers="published_pct",
    help={"missing": "Required but no postmortem started."},
)


class ReportOverduePostmortemSerializer(s.Serializer):
    incident_id = s.IntegerField()
    reference = s.CharField()
    title = s.CharField()
    priority = s.CharField()
    team = s.CharField()
    recovered_at = s.DateTimeField()
    days_overdue = s.IntegerField()
    state = s.CharField()
    links = _links()


ReportActionItemRowSerializer = figures(
    "ReportActionItemRow",
    counts="open overdue done cancelled total",
    key=s.CharField(help_text="Owner username or team slug."),
    label=s.CharField(),
)


class ReportRootCauseSerializer(s.Serializer):
    cause = s.CharField()
    incidents = s.IntegerField()
    services = s.IntegerField()
    last_seen = s.DateTimeField()
    examples = s.CharField()


ReportPostmortemTotalsSerializer = figures(
    "ReportPostmortemTotals",
    counts="postmortems published missing overdue_postmortems open_items overdue_items",
)


class ReportPostmortemsSerializer(ReportBodySerializer):
    totals = ReportPostmortemTotalsSerializer()
    by_month = ReportPostmortemMonthSerializer(many=True)
    overdue_postmortems = ReportOverduePostmortemSerializer(many=True)
    items_by_owner = ReportActionItemRowSerializer(many=True)
    items_by_team = ReportActionItemRowSerializer(many=True)
    recurring_causes = ReportRootCauseSerializer(many=True)


ReportChangeFiguresSerializer = figures(
    "ReportChangeFigures",
    counts="total emergency successful failed rolled_back rejected cancelled caused_incidents",
    numbers="emergency_share success_rate approval_mean_s approval_p90_s",
)


ReportChangeRowSerializer = _row(ReportChangeFiguresSerializer, "Change class.")


class ReportCausingChangeSerializer(s.Serializer):
    change_id = s.IntegerField()
    reference = s.CharField()
    title = s.CharField()
    change_class = s.CharField()
    incidents = s.IntegerField()
    links = _links()


ReportCabMonthSerializer = figures(
    "ReportCabMonth",
    base=ReportMonthSerializer,
    counts="meetings agenda decided approved rejected",
    numbers="decision_mean_s",
)


class ReportChangesSerializer(ReportBodySerializer):
    totals = ReportChangeFiguresSerializer()
    by_month = ReportChangeRowSerializer(many=True)
    by_class = ReportChangeRowSerializer(many=True)
    caused_incidents = ReportCausingChangeSerializer(many=True)
    cab = ReportCabMonthSerializer(many=True)


ReportTrendSerializer = figures(
    "ReportTrend",
    base=ReportMonthSerializer,
    counts="tickets breached_tickets",
    links=False,
    link=s.CharField(),
)


class ReportWeekBucketSerializer(s.Serializer):
    key = s.CharField()
    label = s.CharField()
    count = s.IntegerField()
    link = s.CharField()


ReportDashboardFiguresSerializer = figures(
    "ReportDashboardFigures",
    counts="open_p1 open_p2 tickets breached_tickets last_breached_tickets changes_this_week "
    "emergency_this_week overdue_postmortems overdue_items releases_shipped "
    "releases_rolled_back backups_breached",
    numbers="response_met_pct resolution_met_pct last_response_met_pct last_resolution_met_pct",
    help={
        "releases_shipped": "Releases done this month.",
        "releases_rolled_back": "Releases rolled back this month.",
        "backups_breached": "Backup targets past their RPO now.",
    },
    links=False,
)


class ReportDashboardSerializer(ReportBodySerializer):
    month = s.DateField()
    figures = ReportDashboardFiguresSerializer()
    links = _links()
    trend = ReportTrendSerializer(many=True)
    week = ReportWeekBucketSerializer(many=True)
    week_first_day = s.DateField()
    week_last_day = s.DateField()


ReportReleaseFiguresSerializer = figures(
    "ReportReleaseFigures",
    counts="planned done rolled_back cancelled in_flight hotfixes sent_back",
    numbers="rollback_rate",
    help={
        "done": "Shipped: the release reached done.",
        "sent_back": "Times test or staging sent a release back.",
    },
)


ReportReleaseRowSerializer = _row(ReportReleaseFiguresSerializer, "Release kind.")


ReportDoraMonthSerializer = figures(
    "ReportDoraMonth",
    base=ReportMonthSerializer,
    counts="deployments",
    numbers="change_failure_rate lead_time_h time_to_restore_h",
)


class ReportReleasesSerializer(ReportBodySerializer):
    totals = ReportReleaseFiguresSerializer()
    by_month = ReportReleaseRowSerializer(many=True)
    by_kind = ReportReleaseRowSerializer(many=True)
    dora = ReportDoraMonthSerializer(many=True)


ReportBackupMonthSerializer = figures(
    "ReportBackupMonth",
    base=ReportMonthSerializer,
    counts="runs verified unverified failed drills drills_passed drills_within_rto rpo_breaches",
    numbers="success_rate",
)


class ReportBackupTargetSerializer(s.Serializer):
    slug = s.CharField()
    name = s.CharField()
    kind = s.CharField()
    team = s.CharField()
    compliance = s.CharField()
    compliance_key = s.ChoiceField(choices=["met", "at_risk", "breached", "none"])
    last_verified = s.DateTimeField(allow_null=True)
    rule_321 = s.CharField()
    last_drill = s.CharField()
    next_drill_at = s.DateTimeField(allow_null=True)
    links = _links()


ReportBackupTotalsSerializer = figures(
    "ReportBackupTotals",
    counts="targets rpo_met rpo_at_risk rpo_breached rpo_none rule_321_met drills_overdue "
    "runs failed_runs rpo_breaches",
)


class ReportBackupsSerializer(ReportBodySerializer):
    totals = ReportBackupTotalsSerializer()
    by_month = ReportBackupMonthSerializer(many=True)
    compliance = ReportBackupTargetSerializer(many=True)
