"""Report figures as JSON. Durations are seconds (floats), percentages 0–100 with one decimal,
months ISO dates of their first day; `links` are the page URLs of the tickets behind figures.

Every serializer name starts with "Report" so the OpenAPI components stay unique.
"""

from rest_framework import serializers as s

from ..params import DEFAULT_MONTHS, MAX_MONTHS


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


class ReportSlaFiguresSerializer(s.Serializer):
    tickets = s.IntegerField()
    response_met = s.IntegerField()
    response_breached = s.IntegerField()
    response_met_pct = s.FloatField(allow_null=True)
    resolution_met = s.IntegerField()
    resolution_breached = s.IntegerField()
    resolution_met_pct = s.FloatField(allow_null=True)
    breached_tickets = s.IntegerField(help_text="Incidents with a breach of either clock.")
    mtta_s = s.FloatField(allow_null=True, help_text="Mean time to acknowledge (counted).")
    p90_tta_s = s.FloatField(allow_null=True)
    mttr_s = s.FloatField(allow_null=True, help_text="Mean time to resolve (counted).")
    p90_ttr_s = s.FloatField(allow_null=True)
    links = _links()


class ReportSlaRowSerializer(ReportSlaFiguresSerializer):
    key = s.CharField(required=False, help_text="Priority, team slug or service slug.")
    month = s.DateField(required=False)
    label = s.CharField()


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


class ReportSlaSerializer(s.Serializer):
    filters = ReportFiltersSerializer()
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


class ReportPostmortemMonthSerializer(s.Serializer):
    month = s.DateField()
    label = s.CharField()
    total = s.IntegerField()
    draft = s.IntegerField()
    in_review = s.IntegerField()
    published = s.IntegerField()
    missing = s.IntegerField(help_text="Required but no postmortem started.")
    published_pct = s.FloatField(allow_null=True)
    links = _links()


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


class ReportActionItemRowSerializer(s.Serializer):
    key = s.CharField(help_text="Owner username or team slug.")
    label = s.CharField()
    open = s.IntegerField()
    overdue = s.IntegerField()
    done = s.IntegerField()
    cancelled = s.IntegerField()
    total = s.IntegerField()
    links = _links()


class ReportRootCauseSerializer(s.Serializer):
    cause = s.CharField()
    incidents = s.IntegerField()
    services = s.IntegerField()
    last_seen = s.DateTimeField()
    examples = s.CharField()


class ReportPostmortemTotalsSerializer(s.Serializer):
    postmortems = s.IntegerField()
    published = s.IntegerField()
    missing = s.IntegerField()
    overdue_postmortems = s.IntegerField()
    open_items = s.IntegerField()
    overdue_items = s.IntegerField()
    links = _links()


class ReportPostmortemsSerializer(s.Serializer):
    filters = ReportFiltersSerializer()
    totals = ReportPostmortemTotalsSerializer()
    by_month = ReportPostmortemMonthSerializer(many=True)
    overdue_postmortems = ReportOverduePostmortemSerializer(many=True)
    items_by_owner = ReportActionItemRowSerializer(many=True)
    items_by_team = ReportActionItemRowSerializer(many=True)
    recurring_causes = ReportRootCauseSerializer(many=True)


class ReportChangeFiguresSerializer(s.Serializer):
    total = s.IntegerField()
    emergency = s.IntegerField()
    emergency_share = s.FloatField(allow_null=True)
    successful = s.IntegerField()
    failed = s.IntegerField()
    rolled_back = s.IntegerField()
    success_rate = s.FloatField(allow_null=True)
    rejected = s.IntegerField()
    cancelled = s.IntegerField()
    caused_incidents = s.IntegerField()
    approval_mean_s = s.FloatField(allow_null=True)
    approval_p90_s = s.FloatField(allow_null=True)
    links = _links()


class ReportChangeRowSerializer(ReportChangeFiguresSerializer):
    key = s.CharField(required=False, help_text="Change class.")
    month = s.DateField(required=False)
    label = s.CharField()


class ReportCausingChangeSerializer(s.Serializer):
    change_id = s.IntegerField()
    reference = s.CharField()
    title = s.CharField()
    change_class = s.CharField()
    incidents = s.IntegerField()
    links = _links()


class ReportCabMonthSerializer(s.Serializer):
    month = s.DateField()
    label = s.CharField()
    meetings = s.IntegerField()
    agenda = s.IntegerField()
    decided = s.IntegerField()
    approved = s.IntegerField()
    rejected = s.IntegerField()
    decision_mean_s = s.FloatField(allow_null=True)
    links = _links()


class ReportChangesSerializer(s.Serializer):
    filters = ReportFiltersSerializer()
    totals = ReportChangeFiguresSerializer()
    by_month = ReportChangeRowSerializer(many=True)
    by_class = ReportChangeRowSerializer(many=True)
    caused_incidents = ReportCausingChangeSerializer(many=True)
    cab = ReportCabMonthSerializer(many=True)


class ReportTrendSerializer(s.Serializer):
    month = s.DateField()
    label = s.CharField()
    tickets = s.IntegerField()
    breached_tickets = s.IntegerField()
    link = s.CharField()


class ReportWeekBucketSerializer(s.Serializer):
    key = s.CharField()
    label = s.CharField()
    count = s.IntegerField()
    link = s.CharField()


class ReportDashboardFiguresSerializer(s.Serializer):
    open_p1 = s.IntegerField()
    open_p2 = s.IntegerField()
    tickets = s.IntegerField()
    response_met_pct = s.FloatField(allow_null=True)
    resolution_met_pct = s.FloatField(allow_null=True)
    breached_tickets = s.IntegerField()
    last_response_met_pct = s.FloatField(allow_null=True)
    last_resolution_met_pct = s.FloatField(allow_null=True)
    last_breached_tickets = s.IntegerField()
    changes_this_week = s.IntegerField()
    emergency_this_week = s.IntegerField()
    overdue_postmortems = s.IntegerField()
    overdue_items = s.IntegerField()
    releases_shipped = s.IntegerField(help_text="Releases done this month.")
    releases_rolled_back = s.IntegerField(help_text="Releases rolled back this month.")
    backups_breached = s.IntegerField(help_text="Backup targets past their RPO now.")


class ReportDashboardSerializer(s.Serializer):
    month = s.DateField()
    filters = ReportFiltersSerializer()
    figures = ReportDashboardFiguresSerializer()
    links = _links()
    trend = ReportTrendSerializer(many=True)
    week = ReportWeekBucketSerializer(many=True)
    week_first_day = s.DateField()
    week_last_day = s.DateField()


class ReportReleaseFiguresSerializer(s.Serializer):
    planned = s.IntegerField()
    done = s.IntegerField(help_text="Shipped: the release reached done.")
    rolled_back = s.IntegerField()
    rollback_rate = s.FloatField(allow_null=True)
    cancelled = s.IntegerField()
    in_flight = s.IntegerField()
    hotfixes = s.IntegerField()
    sent_back = s.IntegerField(help_text="Times test or staging sent a release back.")
    links = _links()


class ReportReleaseRowSerializer(ReportReleaseFiguresSerializer):
    key = s.CharField(required=False, help_text="Release kind.")
    month = s.DateField(required=False)
    label = s.CharField()


class ReportDoraMonthSerializer(s.Serializer):
    month = s.DateField()
    label = s.CharField()
    deployments = s.IntegerField()
    change_failure_rate = s.FloatField(allow_null=True)
    lead_time_h = s.FloatField(allow_null=True)
    time_to_restore_h = s.FloatField(allow_null=True)
    links = _links()


class ReportReleasesSerializer(s.Serializer):
    filters = ReportFiltersSerializer()
    totals = ReportReleaseFiguresSerializer()
    by_month = ReportReleaseRowSerializer(many=True)
    by_kind = ReportReleaseRowSerializer(many=True)
    dora = ReportDoraMonthSerializer(many=True)


class ReportBackupMonthSerializer(s.Serializer):
    month = s.DateField()
    label = s.CharField()
    runs = s.IntegerField()
    verified = s.IntegerField()
    unverified = s.IntegerField()
    failed = s.IntegerField()
    success_rate = s.FloatField(allow_null=True)
    drills = s.IntegerField()
    drills_passed = s.IntegerField()
    drills_within_rto = s.IntegerField()
    rpo_breaches = s.IntegerField()
    links = _links()


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


class ReportBackupTotalsSerializer(s.Serializer):
    targets = s.IntegerField()
    rpo_met = s.IntegerField()
    rpo_at_risk = s.IntegerField()
    rpo_breached = s.IntegerField()
    rpo_none = s.IntegerField()
    rule_321_met = s.IntegerField()
    drills_overdue = s.IntegerField()
    runs = s.IntegerField()
    failed_runs = s.IntegerField()
    rpo_breaches = s.IntegerField()
    links = _links()


class ReportBackupsSerializer(s.Serializer):
    filters = ReportFiltersSerializer()
    totals = ReportBackupTotalsSerializer()
    by_month = ReportBackupMonthSerializer(many=True)
    compliance = ReportBackupTargetSerializer(many=True)
