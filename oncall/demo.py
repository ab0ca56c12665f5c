"""Demo on-call schedules: one per demo team, built through the services like real ones."""

import datetime as dt

from django.utils import timezone

from itsm.audit import Source
from itsm.models import Team

from . import services
from .engine import zone as zone_info
from .models import Rotation, Schedule


def _monday(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=today.weekday())


def seed() -> None:
    """Safe to run twice: teams that already have a schedule are left alone."""
    for team in Team.objects.select_related("calendar").order_by("pk"):
        if Schedule.objects.filter(team=team).exists():
            continue
        people = [m.user for m in team.memberships.select_related("user").order_by("pk")]
        people = [p for p in people if p.is_active]
        if not people:
            continue
        zone = team.calendar.time_zone if team.calendar else "UTC"
        schedule = services.schedule_create(
            team=team,
            name="Primary",
            time_zone=zone,
            level=1,
            description="Demo: nights and weekends rotate weekly; working hours rotate daily.",
            actor=None,
            source=Source.SYSTEM,
        )
        monday = _monday(timezone.now().astimezone(zone_info(schedule.time_zone)).date())
        services.rotation_create(
            schedule_id=schedule.pk,
            name="Around the clock",
            layer=1,
            kind=Rotation.Kind.WEEKLY,
            start_date=monday,
            handoff_time=dt.time(10, 0),
            members=people,
            actor=None,
            source=Source.SYSTEM,
        )
        if team.calendar and len(people) > 1:
            services.rotation_create(
                schedule_id=schedule.pk,
                name="Working hours",
                layer=2,
                kind=Rotation.Kind.DAILY,
                start_date=monday,
                handoff_time=dt.time(9, 0),
                members=list(reversed(people)),
                restriction=Rotation.Restriction.BUSINESS_HOURS,
                actor=None,
                source=Source.SYSTEM,
            )
