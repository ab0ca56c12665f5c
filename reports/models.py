"""Report facts: one narrow row per incident with the SLA figures its clocks hold.

The SLA clocks live in the shared `timers_clock` table, keyed by a text object id; joining
a year of incidents to them means scanning every clock (seconds at a million incidents).
This table copies, per incident, only what the SLA report groups and aggregates on, so the
report reads one narrow indexed table. It is derived data: kept current after each commit
that saves an incident or one of its clocks (reports.facts), reconciled nightly, and
rebuilt from scratch with `manage.py reports_rebuild`.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models import OPEN, Incident
from itsm.models import Service, Team


class IncidentFact(models.Model):
    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    detected_at = models.DateTimeField()
    priority = models.CharField(max_length=2)
    status = models.CharField(max_length=32)
    is_major = models.BooleanField(default=False)
    # No database constraint: a fact must never block deleting or renaming a team or service.
    team = models.ForeignKey(
        Team, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    service = models.ForeignKey(
        Service, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    # Calendar or business time, as the policy counted the resolution clock.
    mode = models.CharField(max_length=10, blank=True, default="")
    # Counted seconds (pauses excluded) once the clock stopped; NULL while it runs.
    response_target_s = models.FloatField(null=True)
    response_s = models.FloatField(null=True)
    response_breached_at = models.DateTimeField(null=True)
    resolution_target_s = models.FloatField(null=True)
    resolution_s = models.FloatField(null=True)
    resolution_breached_at = models.DateTimeField(null=True)
    # For the postmortem report: recovery, the duty to write one, its state and root cause.
    recovered_at = models.DateTimeField(null=True)
    postmortem_requested = models.BooleanField(default=False)
    postmortem_status = models.CharField(max_length=16, blank=True, default="")
    # The written root cause, else the last of the five whys; lower case, trimmed.
    root_cause = models.CharField(max_length=200, blank=True, default="")
    # The newest updated_at of the incident, its clocks and its postmortem: an older refresh
    # never overwrites a newer one.
    source_updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("incident report fact")
        verbose_name_plural = _("incident report facts")
        default_permissions = ()
        permissions = [("view_reports", _("Can read the management reports"))]
        indexes = [
            models.Index(fields=["detected_at"], name="report_fact_detected"),
            # PostgreSQL answers a period's figures from this index alone (index-only scan);
            # other databases skip covering indexes and use the one above.
            models.Index(
                fields=["detected_at"],
                include=[
                    "status",
                    "priority",
                    "team",
                    "service",
                    "response_s",
                    "response_breached_at",
                    "resolution_s",
                    "resolution_breached_at",
                ],
                name="report_fact_figures",
            ),  # fmt: skip
            models.Index(fields=["team", "detected_at"], name="report_fact_team"),
            models.Index(fields=["service", "detected_at"], name="report_fact_service"),
            models.Index(fields=["priority", "detected_at"], name="report_fact_priority"),
            # The dashboard's open P1/P2 now, of any month: the few open incidents only.
            models.Index(
                fields=["priority", "team"], condition=Q(status__in=OPEN), name="report_fact_open"
            ),
            # The postmortem report reads only the few incidents with a postmortem, a request
            # for one, a root cause, or an unpublished duty: small partial indexes each.
            models.Index(
                fields=["detected_at"],
                condition=~Q(postmortem_status=""),
                name="report_fact_postmortem",
            ),
            models.Index(
                fields=["detected_at"],
                condition=Q(postmortem_requested=True),
                name="report_fact_pm_requested",
            ),
            models.Index(
                fields=["priority", "recovered_at"],
                condition=Q(recovered_at__isnull=False) & ~Q(postmortem_status="published"),
                name="report_fact_pm_pending",
            ),
            models.Index(
                fields=["detected_at"], condition=~Q(root_cause=""), name="report_fact_cause"
            ),
        ]

    def __str__(self) -> str:
        return f"fact {self.incident_id}"
