"""The standard change catalogue: pre-approved, versioned procedures."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from itsm.models import Service, Team


class TemplateStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETIRED = "retired", _("Retired")


def may_decide_template(template: StandardTemplate, user) -> bool:
    """Ops managers and CAB members approve templates, never the one who proposed it."""
    return user.has_perm("changes.approve_standardtemplate") and user.pk != template.proposed_by_id


def may_retire_template(template: StandardTemplate, user) -> bool:
    return user.has_perm("changes.retire_standardtemplate")


class StandardTemplate(ConcurrentTransitionMixin, models.Model):
    """One version of a standard change procedure. Versions of one procedure share `family`;
    approving a new version retires the one it replaces."""

    Status = TemplateStatus

    family = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1, editable=False)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("what it is for"), blank=True)
    execution_plan = models.TextField(_("execution plan"))
    rollback_plan = models.TextField(_("rollback plan"))
    backup_plan = models.TextField(_("backup plan"))
    services = models.ManyToManyField(
        Service,
        related_name="standard_templates",
        blank=True,
        verbose_name=_("services"),
        help_text=_("Services it may be used on; leave empty for any service."),
    )
    owner_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="standard_templates",
        verbose_name=_("owning team"),
    )
    default_duration = models.DurationField(_("usual duration"), default=timedelta(hours=1))
    status = FSMField(
        _("state"),
        default=TemplateStatus.PROPOSED,
        choices=TemplateStatus.choices,
        protected=True,
        db_index=True,
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        verbose_name = _("standard change template")
        verbose_name_plural = _("standard change templates")
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="unique_template_version")
        ]
        permissions = [
            ("propose_standardtemplate", _("Can propose standard change templates")),
            ("approve_standardtemplate", _("Can approve standard change templates")),
            ("retire_standardtemplate", _("Can retire standard change templates")),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("changes:template_detail", args=[self.pk])

    def applies_to(self, service_ids: set[int]) -> bool:
        allowed = {s.pk for s in self.services.all()}
        return not allowed or service_ids <= allowed

    @transition(
        field=status,
        source=TemplateStatus.PROPOSED,
        target=TemplateStatus.APPROVED,
        permission=may_decide_template,
    )
    def approve(self, *, by, at, note: str = "") -> None:
        """From now on changes from this version start approved."""
        self.decided_by, self.decided_at, self.decision_note = by, at, note

    @transition(
        field=status,
        source=TemplateStatus.PROPOSED,
        target=TemplateStatus.REJECTED,
        permission=may_decide_template,
    )
    def reject(self, *, by, at, note: str) -> None:
        """Not safe enough to run without a per-change approval."""
        self.decided_by, self.decided_at, self.decision_note = by, at, note

    @transition(
        field=status,
        source=TemplateStatus.APPROVED,
        target=TemplateStatus.RETIRED,
        permission=may_retire_template,
    )
    def retire(self, *, at) -> None:
        """No new changes from this version; existing ones keep their reference."""
        self.retired_at = at
