"""States of a change, and how decisions add up under a class policy."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from .policy import ChangeClassPolicy


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ASSESSED = "assessed", _("Assessed")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SCHEDULED = "scheduled", _("Scheduled")
    IMPLEMENTING = "implementing", _("Implementing")
    VERIFYING = "verifying", _("Verifying")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Verification failed")
    ROLLED_BACK = "rolled_back", _("Rolled back")
    REVIEW = "review", _("In review")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


EARLY_STATES = [
    Status.DRAFT,
    Status.SUBMITTED,
    Status.ASSESSED,
    Status.AWAITING_APPROVAL,
    Status.APPROVED,
    Status.SCHEDULED,
]
# States in which a change holds its planned window on the calendar.
ACTIVE_STATES = [
    Status.AWAITING_APPROVAL,
    Status.APPROVED,
    Status.SCHEDULED,
    Status.IMPLEMENTING,
    Status.VERIFYING,
]
OPEN_STATES = [s for s in Status.values if s not in {"rejected", "closed", "cancelled"}]


@dataclass(frozen=True)
class Tally:
    approve: int = 0
    reject: int = 0
    abstain: int = 0

    @property
    def total(self) -> int:
        return self.approve + self.reject + self.abstain


def decide(policy: ChangeClassPolicy, tally: Tally) -> str | None:
    """The decision the votes so far reach under `policy`, or None while it is open."""
    if policy.cab_vote:
        counted = tally.approve + tally.reject
        if tally.total < policy.quorum or counted == 0:
            return None
        if tally.approve * 100 > policy.majority_percent * counted:
            return Status.APPROVED
        return Status.REJECTED
    if tally.reject:
        return Status.REJECTED
    if tally.approve >= policy.required_approvals:
        return Status.APPROVED
    return None
