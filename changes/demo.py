"""Demo data for `manage.py seed_demo`: a standard template and changes in telling states,
created through the services so that their timelines are real. Safe to run twice."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from itsm.models import AuditEvent, Service, User

from . import services as svc
from .models import ChecklistItem, FreezePeriod, MaintenanceWindow, StandardTemplate

SYSTEM = AuditEvent.Source.SYSTEM
TEMPLATE_NAME = "Monthly OS security patch"


def _users() -> dict[str, User] | None:
    names = ["requester", "oncall", "leader", "opsmanager", "cab", "admin"]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    return users if len(users) == len(names) else None


def _tick(change, kind: str, actor) -> None:
    for item in ChecklistItem.objects.filter(change=change, kind=kind):
        svc.change_check_item(
            change_id=change.pk, item_id=item.pk, actor=actor, source=SYSTEM, result="passed"
        )


def _next_sunday_1am_seoul(now: dt.datetime) -> dt.datetime:
    seoul = now.astimezone(dt.timezone(dt.timedelta(hours=9)))
    days = (6 - seoul.weekday()) % 7 or 7
    day = (seoul + dt.timedelta(days=days)).date()
    return dt.datetime.combine(day, dt.time(1, 0), tzinfo=seoul.tzinfo)


@transaction.atomic
def seed() -> None:
    users = _users()
    if users is None or StandardTemplate.objects.filter(name=TEMPLATE_NAME).exists():
        return
    services = {s.slug: s for s in Service.objects.all()}
    needed = {"customer-db", "payments-api", "web-shop", "file-storage", "wiki"}
    if not needed <= set(services):
        return
    now = timezone.now()
    requester, oncall, leader = users["requester"], users["oncall"], users["leader"]
    manager = users["opsmanager"]
    sunday = _next_sunday_1am_seoul(now)

    MaintenanceWindow.objects.create(
        name="Sunday early-morning maintenance",
        description="Regular window for planned work (seed 001 §1).",
        start=sunday,
        end=sunday + dt.timedelta(hours=4),
        recurrence=MaintenanceWindow.Recurrence.WEEKLY,
    )
    year_end = dt.datetime(now.year, 12, 24, tzinfo=dt.UTC)
    FreezePeriod.objects.create(
        name="Year-end freeze",
        description="Peak season for the web shop: only emergency changes.",
        start=year_end,
        end=year_end + dt.timedelta(days=9),
    )

    template = svc.template_propose(
        actor=leader,
        source=SYSTEM,
        name=TEMPLATE_NAME,
        description="Apply the vendor's monthly security updates to one host group.",
        execution_plan="1. Drain the host group\n2. apt-get upgrade\n3. Reboot one by one",
        rollback_plan="Reboot into the previous kernel; restore the VM snapshot if needed.",
        backup_plan="VM snapshot of every host before patching.",
        services=[services["file-storage"], services["wiki"]],
        owner_team=services["file-storage"].owner_team,
        default_duration=dt.timedelta(hours=2),
    )
    svc.template_approve(template_id=template.pk, actor=manager, source=SYSTEM, note="Routine.")

    # 1. A draft the requester is still writing.
    svc.change_create(
        actor=requester,
        source=SYSTEM,
        title="Tune the connection pool of the Payments API",
        services=[services["payments-api"]],
        description="Raise the pool size after last month's saturation alerts.",
        execution_plan="Change pool.max from 20 to 40 and roll the pods.",
        planned_start=now + dt.timedelta(days=10),
        planned_end=now + dt.timedelta(days=10, hours=1),
    )

    # 2. A normal change waiting for the ops manager.
    plans = {
        "execution_plan": "Roll out behind a feature flag, 10 % → 100 %.",
        "rollback_plan": "Turn the flag off.",
        "backup_plan": "Database snapshot before the rollout.",
        "rollback_tested": True,
        "tested_beforehand": True,
    }
    normal = svc.change_create(
        actor=requester,
        source=SYSTEM,
        title="Enable the new checkout flow in the web shop",
        services=[services["web-shop"]],
        implementer=oncall,
        affected_users=500,
        planned_start=now + dt.timedelta(days=14),
        planned_end=now + dt.timedelta(days=14, hours=2),
        **plans,
    )
    svc.change_submit(change_id=normal.pk, actor=requester, source=SYSTEM)
    svc.change_assess(change_id=normal.pk, actor=leader, source=SYSTEM)
    svc.change_request_approval(change_id=normal.pk, actor=leader, source=SYSTEM)

    # 3. A major change on the agenda of the CAB.
    major = svc.change_create(
        actor=requester,
        source=SYSTEM,
        title="Upgrade the customer database to the next major version",
        change_class="major",
        services=[services["customer-db"]],
        implementer=oncall,
        affected_users=20000,
        causes_downtime=True,
        changes_data=True,
        planned_start=now + dt.timedelta(days=21),
        planned_end=now + dt.timedelta(days=21, hours=4),
        **plans,
    )
    svc.change_submit(change_id=major.pk, actor=requester, source=SYSTEM)
    svc.change_assess(change_id=major.pk, actor=leader, source=SYSTEM)
    svc.change_request_approval(change_id=major.pk, actor=leader, source=SYSTEM)
    svc.cab_meeting_create(
        actor=manager, source=SYSTEM, title="Weekly CAB", starts_at=now + dt.timedelta(days=2),
        location="Room 4 / video call",
    )  # fmt: skip

    # 4. A standard change from the template, approved at once and scheduled on Sunday.
    standard = svc.change_create_from_template(
        actor=requester,
        source=SYSTEM,
        template_id=template.pk,
        planned_start=sunday,
        implementer=oncall,
    )
    svc.change_schedule(change_id=standard.pk, actor=oncall, source=SYSTEM)

    # 5. An emergency fix, implemented: its post-implementation review is due.
    emergency = svc.change_create(
        actor=oncall,
        source=SYSTEM,
        title="Patch the TLS library of the Payments API (security advisory)",
        change_class="emergency",
        services=[services["payments-api"]],
        implementer=oncall,
        planned_start=now,
        planned_end=now + dt.timedelta(hours=2),
        execution_plan="Rebuild the image with the patched library; rolling restart.",
        rollback_plan="Redeploy the previous image.",
        backup_plan="Image registry keeps the previous tag.",
    )
    svc.change_submit(change_id=emergency.pk, actor=oncall, source=SYSTEM)
    svc.change_approve(change_id=emergency.pk, actor=manager, source=SYSTEM, comment="Go.")
    svc.change_schedule(change_id=emergency.pk, actor=oncall, source=SYSTEM)
    _tick(emergency, "precheck", oncall)
    svc.change_confirm_backup(
        change_id=emergency.pk, actor=oncall, source=SYSTEM, reference="registry tag 2026.11.3"
    )
    svc.change_start(change_id=emergency.pk, actor=oncall, source=SYSTEM)
    svc.change_finish(change_id=emergency.pk, actor=oncall, source=SYSTEM, note="Rolled out.")
    _tick(emergency, "verification", oncall)
    svc.change_verify(change_id=emergency.pk, actor=leader, source=SYSTEM,
                      report="Payments flow verified; no errors.")  # fmt: skip
