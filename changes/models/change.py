"""The change request and its lifecycle.

Transitions change only fields on `self`; services in changes/services lock the row, call one
transition, save and record the audit event. Guards (changes/models/guards.py) sit in
`conditions=` and `permission=`, so the page, the API and the timers meet the same rules.
"""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, ConcurrentTransitionMixin, FSMField, transition

from itsm.models import Service, Team

from .guards import (  # noqa: F401 - re-exported for views, services and tests
    backup_confirmed,
    condition,
    from_approved_template,
    has_implementer,
    has_plans,
    has_services,
    has_window,
    may_approve,
    may_assess,
    may_close,
    may_edit,
    may_implement,
    may_review,
    may_schedule,
    may_verify,
    may_vote,
    no_pending_review,
    prechecks_done,
    risk_fits_class,
    verification_passed,
)
from .policy import ChangeClass, ChangeClassPolicy
from .states import (  # noqa: F401 - re-exported
    ACTIVE_STATES,
    EARLY_STATES,
    OPEN_STATES,
    RiskLevel,
    Status,
    Tally,
    decide,
)


class ChangeQuerySet(models.QuerySet):
    def open(self) -> ChangeQuerySet:
        return self.filter(status__in=OPEN_STATES)

    def active(self) -> ChangeQuerySet:
        return self.filter(status__in=ACTIVE_STATES)

    def overlapping(self, start, end) -> ChangeQuerySet:
        return self.filter(planned_start__lt=end, planned_end__gt=start)

    def review_overdue(self, now=None) -> ChangeQuerySet:
        return self.filter(
            review_due_at__lt=now or timezone.now(), reviewed_at__isnull=True
        ).exclude(status__in=[Status.CLOSED, Status.CANCELLED])


class Change(ConcurrentTransitionMixin, models.Model):
    """A request to change production, from impact analysis to closure."""

    Status = Status
    RiskLevel = RiskLevel
    Class = ChangeClass

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    change_class = models.CharField(
        _("class"), max_length=16, choices=ChangeClass.choices, default=ChangeClass.NORMAL
    )
    status = FSMField(
        _("state"), default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="changes_requested",
        verbose_name=_("requester"),
    )
    implementer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes_to_implement",
        verbose_name=_("implementer"),
    )
    owner_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("owning team"),
        help_text=_("Its business calendar counts the lead time."),
    )
    template = models.ForeignKey(
        "changes.StandardTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("standard template"),
    )
    services = models.ManyToManyField(
        Service, related_name="changes", blank=True, verbose_name=_("affected services")
    )
    impacted_services = models.ManyToManyField(
        Service,
        related_name="impacting_changes",
        blank=True,
        verbose_name=_("impacted services"),
        help_text=_("The affected services and every service that depends on them."),
    )
    # Impact analysis and the risk questionnaire
    affected_users = models.PositiveIntegerField(_("affected users (estimate)"), default=0)
    affected_users_note = models.CharField(_("who is affected"), max_length=200, blank=True)
    causes_downtime = models.BooleanField(_("users will notice downtime"), default=False)
    changes_data = models.BooleanField(_("migrates or changes data"), default=False)
    tested_beforehand = models.BooleanField(_("tested outside production"), default=False)
    rollback_tested = models.BooleanField(_("rollback plan tested"), default=False)
    first_of_its_kind = models.BooleanField(_("never done before"), default=False)
    risk_score = models.PositiveSmallIntegerField(_("risk score"), default=0)
    risk_level = models.CharField(
        _("risk"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    risk_reasons = models.JSONField(_("risk factors"), default=list, blank=True)
    suggested_class = models.CharField(
        _("suggested class"), max_length=16, choices=ChangeClass.choices, blank=True
    )
    # Plans and window
    execution_plan = models.TextField(_("execution plan"), blank=True)
    rollback_plan = models.TextField(_("rollback plan"), blank=True)
    backup_plan = models.TextField(_("backup plan"), blank=True)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    # Facts recorded along the way
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    assessed_at = models.DateTimeField(_("assessed"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    approval_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(_("implementation started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("implementation finished"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    backup_confirmed_at = models.DateTimeField(_("backup confirmed"), null=True, blank=True)
    backup_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("backup confirmed by"),
    )
    backup_reference = models.CharField(_("backup reference"), max_length=200, blank=True)
    completion_report = models.TextField(_("completion report"), blank=True)
    failure_reason = models.TextField(_("why verification failed"), blank=True)
    rollback_notes = models.TextField(_("rollback notes"), blank=True)
    cause_analysis = models.TextField(_("cause analysis"), blank=True)
    review_due_at = models.DateTimeField(_("review due"), null=True, blank=True, db_index=True)
    review_overdue_at = models.DateTimeField(_("review overdue since"), null=True, blank=True)
    review_summary = models.TextField(_("review summary"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    cancel_reason = models.TextField(_("why cancelled"), blank=True)

    objects = ChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "planned_start"], name="change_status_start"),
            models.Index(fields=["planned_start", "planned_end"], name="change_window"),
            models.Index(fields=["change_class", "status"], name="change_class_status"),
            # The list's default order: page 1 reads 25 index entries instead of sorting all.
            models.Index(fields=["-created_at", "-id"], name="change_newest_first"),
        ]
        permissions = [
            ("assess_change", _("Can assess the impact of changes")),
            ("schedule_change", _("Can schedule any change")),
            ("manage_change", _("Can act for requesters and implementers")),
            ("review_change", _("Can run post-implementation reviews")),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("changes:detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"CHG-{self.pk or 0:05d}"

    @cached_property
    def policy(self) -> ChangeClassPolicy:
        return ChangeClassPolicy.for_class(self.change_class)

    def forget_policy(self) -> None:
        self.__dict__.pop("policy", None)

    def is_party(self, user) -> bool:
        """Requester or implementer: segregation of duties keeps them from deciding."""
        return user.pk is not None and user.pk in {self.requester_id, self.implementer_id}

    def has_decided(self, user) -> bool:
        return any(a.approver_id == user.pk for a in self.approvals.all())

    def tally(self) -> Tally:
        counts = {"approve": 0, "reject": 0, "abstain": 0}
        for approval in self.approvals.all():
            counts[approval.decision] += 1
        return Tally(**counts)

    def checklist(self, kind: str) -> list:
        return [item for item in self.checklist_items.all() if item.kind == kind]

    @property
    def review_overdue(self) -> bool:
        return bool(
            self.review_due_at
            and self.reviewed_at is None
            and self.status not in {Status.CLOSED, Status.CANCELLED}
            and self.review_due_at < timezone.now()
        )

    @property
    def service_ids(self) -> set[int]:
        return {s.pk for s in self.services.all()}

    # --- transitions ----------------------------------------------------------------------

    def _after_submit(self, **kwargs) -> str:
        return Status.AWAITING_APPROVAL if self.policy.skip_assessment else Status.SUBMITTED

    @transition(
        field=status,
        source=Status.DRAFT,
        target=GET_STATE(_after_submit, states=[Status.SUBMITTED, Status.AWAITING_APPROVAL]),
        conditions=[has_plans, has_window, has_services, risk_fits_class],
        permission=may_edit,
    )
    def submit(self, *, at) -> None:
        """The requester hands the change over for impact review; an emergency goes straight
        to the approvers, because restoring service cannot wait for an assessment."""
        self.submitted_at = at

    @transition(
        field=status,
        source=Status.DRAFT,
        target=Status.APPROVED,
        conditions=[from_approved_template, has_window, has_services, risk_fits_class],
        custom={"internal": True},
    )
    def approve_from_template(self, *, at) -> None:
        """A standard change from an approved template is pre-approved: the template's
        procedure was approved once, so each use needs no approver."""
        self.submitted_at = self.decided_at = at

    @transition(
        field=status,
        source=Status.SUBMITTED,
        target=Status.ASSESSED,
        conditions=[risk_fits_class],
        permission=may_assess,
    )
    def assess(self, *, at) -> None:
        """An assessor confirms the impact analysis, the risk and the class."""
        self.assessed_at = at

    @transition(
        field=status,
        source=Status.ASSESSED,
        target=Status.AWAITING_APPROVAL,
        conditions=[risk_fits_class],
        permission=may_assess,
    )
    def request_approval(self) -> None:
        """Route the assessed change to the approvers its class policy names."""

    def _after_decision(self, *, tally: Tally, at, **kwargs) -> str:
        return decide(self.policy, tally) or Status.AWAITING_APPROVAL

    _DECIDED = GET_STATE(
        _after_decision, states=[Status.AWAITING_APPROVAL, Status.APPROVED, Status.REJECTED]
    )

    @transition(
        field=status, source=Status.AWAITING_APPROVAL, target=_DECIDED, permission=may_approve
    )
    def approve(self, *, tally: Tally, at) -> None:
        """One approver approves; the change is approved once the policy's count is reached."""
        if decide(self.policy, tally):
            self.decided_at = at

    @transition(
        field=status, source=Status.AWAITING_APPROVAL, target=_DECIDED, permission=may_approve
    )
    def reject(self, *, tally: Tally, at) -> None:
        """One approver's rejection rejects the change (outside CAB votes)."""
        if decide(self.policy, tally):
            self.decided_at = at

    @transition(field=status, source=Status.AWAITING_APPROVAL, target=_DECIDED, permission=may_vote)
    def vote(self, *, tally: Tally, at) -> None:
        """A CAB member votes; quorum and majority decide when enough votes are in."""
        if decide(self.policy, tally):
            self.decided_at = at

    @transition(field=status, source=EARLY_STATES, target=Status.CANCELLED, permission=may_edit)
    def cancel(self, *, reason: str) -> None:
        """Withdraw a change that has not started; its window is freed on the calendar."""
        self.cancel_reason = reason

    @transition(
        field=status,
        source=Status.APPROVED,
        target=Status.SCHEDULED,
        conditions=[has_window, has_implementer],
        permission=may_schedule,
    )
    def schedule(self) -> None:
        """Fix the window on the change calendar (freeze periods and conflicts checked)."""

    @transition(
        field=status,
        source=Status.SCHEDULED,
        target=Status.SCHEDULED,
        conditions=[has_window, has_implementer],
        permission=may_schedule,
    )
    def reschedule(self) -> None:
        """Move a scheduled window; the same calendar checks run again."""

    @transition(
        field=status,
        source=Status.SCHEDULED,
        target=Status.IMPLEMENTING,
        conditions=[prechecks_done, backup_confirmed],
        permission=may_implement,
    )
    def start(self, *, at) -> None:
        """Implementation begins once the pre-checks pass and a backup exists."""
        self.started_at = at

    @transition(
        field=status, source=Status.IMPLEMENTING, target=Status.VERIFYING, permission=may_implement
    )
    def finish(self, *, at) -> None:
        """The work is done; verification decides whether it stays."""
        self.finished_at = at

    @transition(
        field=status,
        source=Status.VERIFYING,
        target=Status.COMPLETED,
        conditions=[verification_passed],
        permission=may_verify,
    )
    def verify(self, *, at, report: str, review_due_at=None) -> None:
        """Functional, performance and security checks passed."""
        self.completed_at = at
        self.completion_report = report
        self.review_due_at = review_due_at

    @transition(field=status, source=Status.VERIFYING, target=Status.FAILED, permission=may_verify)
    def fail(self, *, reason: str) -> None:
        """Verification failed (errors, performance below the SLO, side effects): roll back."""
        self.failure_reason = reason

    @transition(
        field=status, source=Status.FAILED, target=Status.ROLLED_BACK, permission=may_implement
    )
    def roll_back(self, *, notes: str, review_due_at) -> None:
        """The rollback plan was carried out; a review of the cause becomes due."""
        self.rollback_notes = notes
        self.review_due_at = review_due_at

    @transition(
        field=status,
        source=[Status.COMPLETED, Status.ROLLED_BACK],
        target=Status.REVIEW,
        permission=may_review,
    )
    def start_review(self, *, cause_analysis: str = "") -> None:
        """Open the post-implementation review (and the cause analysis after a rollback)."""
        if cause_analysis:
            self.cause_analysis = cause_analysis

    @transition(
        field=status,
        source=[Status.COMPLETED, Status.REVIEW],
        target=Status.CLOSED,
        conditions=[no_pending_review],
        permission=may_close,
    )
    def close(self, *, at, summary: str = "") -> None:
        """The record is complete; a review, when one ran, is summarised."""
        self.closed_at = at
        if self.status == Status.REVIEW:
            self.review_summary = summary
            self.reviewed_at = at
