"""Approval policy per change class: data an administrator edits, not code."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm import roles


class ChangeClass(models.TextChoices):
    STANDARD = "standard", _("Standard")
    NORMAL = "normal", _("Normal")
    EMERGENCY = "emergency", _("Emergency")
    MAJOR = "major", _("Major")


ROLE_CHOICES = [(name, label) for name, label in roles.ROLES.items()]

# The DOMAIN.md defaults; the data migration writes them and `for_class` falls back to them
# so that a deleted row never makes a class unusable.
DEFAULTS: dict[str, dict] = {
    ChangeClass.STANDARD: {
        "approver_role": roles.OPS_LEADER,
        "auto_approve_from_template": True,
        "approval_reminder_minutes": 240,
    },
    ChangeClass.NORMAL: {
        "approver_role": roles.OPS_MANAGER,
        "lead_time_business_days": 3,
        "approval_reminder_minutes": 1440,
    },
    ChangeClass.EMERGENCY: {
        "approver_role": roles.OPS_MANAGER,
        "skip_assessment": True,
        "freeze_exempt": True,
        "review_required": True,
        "review_due_business_days": 2,
        "approval_reminder_minutes": 15,
    },
    ChangeClass.MAJOR: {
        "approver_role": roles.CAB_MEMBER,
        "cab_vote": True,
        "quorum": 3,
        "majority_percent": 50,
        "lead_time_business_days": 5,
        "approval_reminder_minutes": 2880,
    },
}


class ChangeClassPolicy(models.Model):
    """How changes of one class are approved, how much notice they need, what follows."""

    change_class = models.CharField(
        _("change class"), max_length=16, choices=ChangeClass.choices, unique=True
    )
    approver_role = models.CharField(
        _("approver role"), max_length=32, choices=ROLE_CHOICES, default=roles.OPS_MANAGER
    )
    required_approvals = models.PositiveSmallIntegerField(
        _("approvals needed"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("How many different approvers must approve (ignored for CAB votes)."),
    )
    cab_vote = models.BooleanField(
        _("decided by CAB vote"),
        default=False,
        help_text=_("Members vote approve / reject / abstain; quorum and majority decide."),
    )
    quorum = models.PositiveSmallIntegerField(
        _("CAB quorum"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("Votes (abstentions included) needed before the vote decides."),
    )
    majority_percent = models.PositiveSmallIntegerField(
        _("CAB majority (%)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("More than this share of the approve and reject votes must approve."),
    )
    auto_approve_from_template = models.BooleanField(
        _("approve automatically from an approved template"), default=False
    )
    skip_assessment = models.BooleanField(
        _("go to approval at once"),
        default=False,
        help_text=_("Submission routes straight to the approvers; impact is reviewed afterwards."),
    )
    lead_time_business_days = models.PositiveSmallIntegerField(
        _("lead time (business days)"),
        default=0,
        help_text=_("Business days needed between submission and the planned start."),
    )
    freeze_exempt = models.BooleanField(_("may be scheduled in a freeze period"), default=False)
    review_required = models.BooleanField(_("post-implementation review required"), default=False)
    review_due_business_days = models.PositiveSmallIntegerField(
        _("review due after (business days)"), default=2
    )
    approval_reminder_minutes = models.PositiveIntegerField(
        _("remind approvers after (minutes)"),
        default=1440,
        validators=[MinValueValidator(1)],
    )

    class Meta:
        verbose_name = _("change class policy")
        verbose_name_plural = _("change class policies")
        ordering = ["pk"]

    def __str__(self) -> str:
        return str(self.get_change_class_display())

    def clean(self) -> None:
        if self.change_class == ChangeClass.STANDARD and self.cab_vote:
            raise ValidationError(_("Standard changes cannot need a CAB vote."))

    @classmethod
    def for_class(cls, change_class: str) -> ChangeClassPolicy:
        policy = cls.objects.filter(change_class=change_class).first()
        if policy is None:
            policy = cls(change_class=change_class, **DEFAULTS.get(change_class, {}))
        return policy

    def describe_approval(self) -> str:
        if self.cab_vote:
            return _("CAB vote: quorum %(quorum)s, more than %(majority)s%% in favour") % {
                "quorum": self.quorum,
                "majority": self.majority_percent,
            }
        label = roles.role_label(self.approver_role)
        if self.required_approvals == 1:
            return str(label)
        return _("%(count)s × %(role)s") % {"count": self.required_approvals, "role": label}
