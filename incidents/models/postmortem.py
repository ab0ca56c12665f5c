"""Postmortems: what happened, why (five whys), and the action items that prevent it again."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from itsm.models import Team

from .. import permissions as perms
from .incident import Incident


def _can_write(postmortem: Postmortem, user) -> bool:
    return user.has_perm(perms.WRITE_POSTMORTEM)


def _can_publish(postmortem: Postmortem, user) -> bool:
    return user.has_perm(perms.PUBLISH_POSTMORTEM)


def _is_complete(postmortem: Postmortem) -> bool:
    return not postmortem.missing_sections()


class Postmortem(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, related_name="postmortem", verbose_name=_("incident")
    )
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=True)
    summary = models.TextField(_("summary"), blank=True)
    impact = models.TextField(_("impact"), blank=True, help_text=_("Who and what was affected."))
    five_whys = models.JSONField(
        _("five whys"), default=list, blank=True, help_text=_("Each answer asks the next why.")
    )
    root_cause = models.TextField(_("root cause"), blank=True)
    resolution = models.TextField(_("resolution steps"), blank=True)
    prevention = models.TextField(_("prevention measures"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    review_comment = models.TextField(_("review comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("postmortem")
        verbose_name_plural = _("postmortems")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return _("Postmortem of %(ref)s") % {"ref": self.incident.reference}

    def get_absolute_url(self) -> str:
        return reverse("incidents:postmortem", args=[self.incident_id])

    @property
    def is_editable(self) -> bool:
        return self.status != self.Status.PUBLISHED

    def missing_sections(self) -> list[str]:
        """Sections a reviewer needs before publishing, by their labels."""
        missing = []
        for name in ("summary", "resolution", "prevention"):
            if not getattr(self, name).strip():
                missing.append(str(self._meta.get_field(name).verbose_name))
        if not any(why.strip() for why in self.five_whys or []) and not self.root_cause.strip():
            missing.append(str(_("root cause (five whys)")))
        return missing

    @transition(
        status,
        source=Status.DRAFT,
        target=Status.IN_REVIEW,
        permission=_can_write,
        conditions=[_is_complete],
    )
    def submit(self, *, at) -> None:
        """The author asks for review; every section must be filled."""
        self.submitted_at = at

    @transition(status, source=Status.IN_REVIEW, target=Status.DRAFT, permission=_can_publish)
    def request_changes(self, *, comment: str) -> None:
        """The reviewer sends it back with a comment."""
        self.review_comment = comment

    @transition(
        status,
        source=Status.IN_REVIEW,
        target=Status.PUBLISHED,
        permission=_can_publish,
        conditions=[_is_complete],
    )
    def publish(self, *, by, at) -> None:
        """Reviewed and shared; from now on the incident may close."""
        self.published_at = at
        self.published_by = by


class TimelineEntry(models.Model):
    """A manual line of the postmortem's timeline (the incident's own events come for free)."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="entries")
    at = models.DateTimeField(_("at"))
    text = models.CharField(_("what happened"), max_length=500)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.text}"


class ActionItemQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=ActionItem.Status.OPEN)

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.open().filter(due_date__lt=today)


class ActionItem(models.Model):
    """A follow-up with an owner, a team and a due date, tracked until done."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="action_items"
    )
    title = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="incident_action_items",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="incident_action_items", verbose_name=_("team")
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["owner", "status", "due_date"], name="action_item_owner")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return (
            reverse("incidents:postmortem", args=[self.postmortem.incident_id]) + f"#item-{self.pk}"
        )

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_date < timezone.localdate()
