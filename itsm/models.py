"""The shared kernel: users, teams, services, business calendars, audit events, heartbeats."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value})


class User(AbstractUser):
    """A person using the portal; roles are Django groups (see itsm.roles)."""

    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def has_role(self, *roles: str) -> bool:
        """True when the user is in any of the given role groups (cached per instance)."""
        if not hasattr(self, "_role_names"):
            self._role_names = set(self.groups.values_list("name", flat=True))
        return self.is_superuser or bool(self._role_names.intersection(roles))


class BusinessCalendar(models.Model):
    """Working hours, weekends and public holidays of a country, in one time zone."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    country = models.CharField(
        _("country"), max_length=2, help_text=_("ISO 3166 code of the holidays to use, e.g. KR, JP")
    )
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    work_start = models.TimeField(_("working day starts"), default="09:00")
    work_end = models.TimeField(_("working day ends"), default="18:00")
    work_days = models.JSONField(
        _("working days"), default=list, help_text=_("Weekday numbers, Monday = 0")
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.work_start >= self.work_end:
            raise ValidationError(_("The working day must end after it starts."))
        if not self.work_days or any(d not in range(7) for d in self.work_days):
            raise ValidationError(_("Working days must be weekday numbers from 0 to 6."))

    def spec(self):
        """A plain, immutable description used by itsm.business_time."""
        from .business_time import CalendarSpec

        return CalendarSpec(
            country=self.country,
            time_zone=self.time_zone,
            work_start=self.work_start,
            work_end=self.work_end,
            work_days=frozenset(self.work_days or [0, 1, 2, 3, 4]),
            closed_days=frozenset(self.closed_days.values_list("date", flat=True)),
        )


class ClosedDay(models.Model):
    """A custom non-working day (company holiday, office closure) of a calendar."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="closed_days"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="unique_closed_day")
        ]
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Team(models.Model):
    """A group of people that owns services and receives tickets."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), unique=True)
    email = models.EmailField(_("e-mail"), blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="teams",
        verbose_name=_("business calendar"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams", blank=True
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    is_lead = models.BooleanField(_("team lead"), default=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.team}"


class Service(models.Model):
    """An entry of the services catalogue, with the services it depends on."""

    class Criticality(models.IntegerChoices):
        CRITICAL = 1, _("Critical")
        HIGH = 2, _("High")
        MEDIUM = 3, _("Medium")
        LOW = 4, _("Low")

    class Hours(models.TextChoices):
        ALWAYS = "24x7", _("24×7")
        BUSINESS = "business", _("Business hours")

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), unique=True)
    description = models.TextField(_("description"), blank=True)
    owner_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="services", verbose_name=_("owner team")
    )
    criticality = models.PositiveSmallIntegerField(
        _("criticality"), choices=Criticality.choices, default=Criticality.MEDIUM
    )
    hours = models.CharField(
        _("support hours"), max_length=10, choices=Hours.choices, default=Hours.ALWAYS
    )
    depends_on = models.ManyToManyField(
        "self",
        symmetrical=False,
        related_name="dependents",
        blank=True,
        verbose_name=_("depends on"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def calendar(self) -> BusinessCalendar | None:
        """The calendar that business-hours clocks of this service count in."""
        return self.owner_team.calendar

    def impacted_services(self) -> list[Service]:
        """This service and every service that depends on it, directly or not."""
        return impacted_services([self])


def impacted_services(services) -> list[Service]:
    """The given services and every service that depends on any of them, directly or not.

    Impact analysis follows dependencies upwards: if the database is down, everything
    that depends on it is affected. Breadth-first from all of them at once: one query per
    level, however many services start it (cycles end because seen services are excluded).
    """
    seen: dict[int, Service] = {s.pk: s for s in services}
    frontier = list(seen)
    while frontier:
        level = list(
            Service.objects.filter(depends_on__in=frontier).exclude(pk__in=seen).distinct()
        )
        for service in level:
            seen[service.pk] = service
        frontier = [s.pk for s in level]
    return list(seen.values())


class AuditEventQuerySet(models.QuerySet):
    def for_object(self, obj: models.Model) -> AuditEventQuerySet:
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        )

    def update(self, **kwargs):  # noqa: ARG002 - an audit trail is append-only
        raise PermissionError("Audit events cannot be changed.")

    def delete(self):
        raise PermissionError("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One append-only record of something that happened to an object.

    Written only through itsm.audit.record_event; the model refuses updates and deletes, and
    on PostgreSQL a trigger refuses them too, so no code path can rewrite history.
    """

    class Source(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        TIMER = "timer", _("Timer")
        INTAKE = "intake", _("Intake")
        SYSTEM = "system", _("System")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    action = models.CharField(_("action"), max_length=64)
    from_state = models.CharField(_("from"), max_length=32, blank=True)
    to_state = models.CharField(_("to"), max_length=32, blank=True)
    message = models.TextField(_("message"), blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events cannot be deleted.")


class Heartbeat(models.Model):
    """The last time a periodic task ran; /healthz reads it to prove beat and workers live."""

    name = models.CharField(max_length=50, primary_key=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} {self.at}"
