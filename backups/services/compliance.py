"""RPO compliance of a target.

The deadline of a target is the recovery point of its newest *verified* backup plus its RPO
(while it has none: its creation plus the RPO). One timer per target waits for that
deadline; anything that can move it (a verification, an expiry, an RPO change) calls
`refresh_rpo`. When the timer fires, `rpo_check` re-reads the database and records the
breach once, with one alert. The dashboard computes the same status in SQL
(backups.selectors), so both agree without a stored status column.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from itsm.audit import record_event
from itsm.timers.services import armed_timers, timer_arm, timer_cancel

from .. import alerts
from ..models import BackupRun, BackupTarget

TIMER_RPO = "backups.rpo"


def newest_verified(target_id: int) -> BackupRun | None:
    return (
        BackupRun.objects.filter(
            target_id=target_id,
            status=BackupRun.Status.VERIFIED,
            recovery_point__isnull=False,
        )
        .order_by("-recovery_point", "-pk")
        .only("pk", "recovery_point")
        .first()
    )


def rpo_deadline(target: BackupTarget, newest: BackupRun | None) -> datetime | None:
    if target.rpo is None or not target.is_active:
        return None
    base = newest.recovery_point if newest else target.created_at
    return base + target.rpo


def _end_breach(target: BackupTarget, *, actor, source: str, newest: BackupRun | None) -> None:
    # A conditional update: two verifications racing record the recovery once.
    if BackupTarget.objects.filter(pk=target.pk, rpo_breached_at__isnull=False).update(
        rpo_breached_at=None
    ):
        record_event(
            target,
            action="rpo_restored",
            actor=actor,
            source=source,
            before="breached",
            after="met",
            payload={"newest_run": newest.pk if newest else None},
        )
    target.rpo_breached_at = None


def refresh_rpo(*, target: BackupTarget, actor, source: str, now: datetime | None = None):
    """Re-arm the target's RPO timer for its current deadline; end a breach that is over."""
    now = now or timezone.now()
    newest = newest_verified(target.pk)
    deadline = rpo_deadline(target, newest)
    if deadline is None:
        timer_cancel(subject=target, kind=TIMER_RPO)
        if target.rpo_breached_at:
            _end_breach(target, actor=actor, source=source, newest=newest)
        return None
    if target.rpo_breached_at and deadline > now:
        _end_breach(target, actor=actor, source=source, newest=newest)
    if target.rpo_breached_at is None:
        current = armed_timers(target).filter(kind=TIMER_RPO).first()
        if current is None or current.due_at != deadline:
            timer_arm(
                subject=target,
                kind=TIMER_RPO,
                due_at=deadline,
                payload={"newest_run": newest.pk if newest else None},
            )
    return deadline


@transaction.atomic
def rpo_check(*, target_id: int, now: datetime) -> bool:
    """The RPO timer fired: record a breach and raise its alert, once. True if it did."""
    target = BackupTarget.objects.select_for_update().filter(pk=target_id).first()
    if target is None:
        return False
    newest = newest_verified(target.pk)
    deadline = rpo_deadline(target, newest)
    if deadline is None or target.rpo_breached_at is not None:
        return False
    if deadline > now:  # a newer verified backup moved the deadline: wait for the new one
        timer_arm(subject=target, kind=TIMER_RPO, due_at=deadline)
        return False
    target.rpo_breached_at = now
    target.save(update_fields=["rpo_breached_at"])
    payload = {
        "deadline": deadline.isoformat(),
        "newest_run": newest.pk if newest else None,
        "rpo_seconds": target.rpo.total_seconds(),
    }
    record_event(
        target,
        action="rpo_breached",
        source="timer",
        before="met",
        after="breached",
        payload=payload,
    )
    if newest:
        message = _("The newest verified backup is from %(when)s; the RPO is %(rpo)s.") % {
            "when": formats.date_format(
                timezone.localtime(newest.recovery_point), "DATETIME_FORMAT"
            ),
            "rpo": target.rpo,
        }
    else:
        message = _("There is no verified backup at all; the RPO is %(rpo)s.") % {"rpo": target.rpo}
    alerts.raise_alert(
        subject=target,
        key=f"rpo:{newest.pk if newest else 'none'}",
        severity=alerts.CRITICAL,
        title=_("Out of RPO: %(target)s") % {"target": target.name},
        message=message,
        source="timer",
        service_id=target.service_id,
    )
    return True
