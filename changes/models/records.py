"""What people record on a change: decisions, checklists, the work log, comments, conflicts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    ABSTAIN = "abstain", _("Abstain")


class Approval(models.Model):
    """One approver's decision or one CAB member's vote; one per person and change."""

    change = models.ForeignKey("changes.Change", on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="change_approvals",
        verbose_name=_("approver"),
    )
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    meeting = models.ForeignKey(
        "changes.CabMeeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="votes",
        verbose_name=_("CAB meeting"),
    )
    source = models.CharField(_("source"), max_length=10, default="web")

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["at", "pk"]
        constraints = [
            # The database backs the service's rule: nobody decides twice on one change.
            models.UniqueConstraint(fields=["change", "approver"], name="one_decision_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.approver} {self.decision}"


class ChecklistItem(models.Model):
    """A pre-check before implementation or a verification check after it."""

    class Kind(models.TextChoices):
        PRECHECK = "precheck", _("Pre-check")
        VERIFICATION = "verification", _("Verification")

    class Result(models.TextChoices):
        OPEN = "", _("Not checked")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    change = models.ForeignKey(
        "changes.Change", on_delete=models.CASCADE, related_name="checklist_items"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    category = models.CharField(_("category"), max_length=16)
    code = models.CharField(max_length=64, blank=True)
    label = models.CharField(_("check"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    result = models.CharField(
        _("result"), max_length=16, choices=Result.choices, blank=True, default=""
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["kind", "position", "pk"]

    def __str__(self) -> str:
        return self.display_label

    @property
    def display_label(self) -> str:
        """Default checks are shown in the reader's language; custom ones as written."""
        from changes.checklists import label_for

        return label_for(self.code) or self.label

    @property
    def display_category(self) -> str:
        from changes.checklists import category_label

        return category_label(self.category)


class WorkLogEntry(models.Model):
    change = models.ForeignKey("changes.Change", on_delete=models.CASCADE, related_name="work_log")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    text = models.TextField(_("what was done"))

    class Meta:
        verbose_name = _("work log entry")
        verbose_name_plural = _("work log entries")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.text[:50]


class Comment(models.Model):
    change = models.ForeignKey("changes.Change", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    text = models.TextField(_("comment"))

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.text[:50]


class ChangeConflict(models.Model):
    """Another change that overlaps this one's window on a shared service, found when this
    one was scheduled."""

    change = models.ForeignKey("changes.Change", on_delete=models.CASCADE, related_name="conflicts")
    other = models.ForeignKey(
        "changes.Change", on_delete=models.CASCADE, related_name="+", verbose_name=_("with")
    )
    services = models.JSONField(_("shared services"), default=list)
    detected_at = models.DateTimeField(_("detected"), default=timezone.now)

    class Meta:
        verbose_name = _("change conflict")
        verbose_name_plural = _("change conflicts")
        ordering = ["detected_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["change", "other"], name="unique_change_conflict")
        ]

    def __str__(self) -> str:
        return f"{self.change_id} × {self.other_id}"


class CabMeeting(models.Model):
    """A change advisory board meeting; its agenda is the major changes awaiting decision."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    location = models.CharField(_("where"), max_length=200, blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chair"),
    )
    agenda = models.ManyToManyField(
        "changes.Change", related_name="cab_meetings", blank=True, verbose_name=_("agenda")
    )
    status = models.CharField(
        _("state"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    minutes = models.TextField(_("minutes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("CAB meeting")
        verbose_name_plural = _("CAB meetings")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("changes:cab_detail", args=[self.pk])
