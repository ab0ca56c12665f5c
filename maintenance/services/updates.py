"""Pending updates: registered by hand or API, analysed, scheduled into a window as a change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_fsm import TransitionNotAllowed, has_transition_perm

from itsm.audit import Source, record_event
from itsm.errors import Conflict, DomainError
from itsm.models import Service, impacted_services

from .. import integration
from ..models import PendingUpdate, UpdateKind, UpdateSeverity, UpdateStatus
from ..windows import choose_window, earliest_start
from ._base import require, validated

OPEN = [UpdateStatus.REGISTERED, UpdateStatus.ANALYSED, UpdateStatus.SCHEDULED]
EDITABLE_FIELDS = {"component", "version", "kind", "severity", "notes", "advisory"}


def _check_duplicate(update: PendingUpdate) -> None:
    clash = PendingUpdate.objects.filter(
        component__iexact=update.component, version=update.version, status__in=OPEN
    ).exclude(pk=update.pk)
    if clash.exists():
        raise DomainError(
            _("%(component)s %(version)s is already registered and open.")
            % {"component": update.component, "version": update.version},
            field="version",
        )


@transaction.atomic
def update_register(
    *, actor, source: str, services: list[Service] | None = None, **fields
) -> PendingUpdate:
    require(actor, "maintenance.add_pendingupdate")
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    update = PendingUpdate(registered_by=actor, **fields)
    update.component = (update.component or "").strip()
    update.version = (update.version or "").strip()
    validated(update, exclude=["registered_by"])
    _check_duplicate(update)
    update.save()
    if services:
        update.services.set(services)
    record_event(update, action="update registered", actor=actor, source=source,
                 payload={"kind": update.kind, "severity": update.severity})  # fmt: skip
    return update


@transaction.atomic
def update_edit(
    *, update_id: int, actor, source: str, services: list[Service] | None = None, **fields
) -> PendingUpdate:
    require(actor, "maintenance.change_pendingupdate")
    update = PendingUpdate.objects.select_for_update().get(pk=update_id)
    if update.status not in (UpdateStatus.REGISTERED, UpdateStatus.ANALYSED):
        raise Conflict(_("Only an update that is not scheduled yet can be edited."))
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    for name, value in fields.items():
        setattr(update, name, value)
    validated(update)
    _check_duplicate(update)
    update.save()
    if services is not None:
        update.services.set(services)
    record_event(update, action="update edited", actor=actor, source=source,
                 before=update.status, payload={"fields": sorted(fields)})  # fmt: skip
    return update


def _guarded(update: PendingUpdate, transition, actor) -> None:
    if actor is not None and not has_transition_perm(transition, actor):
        # A role that may manage updates meets the state rule (409); others 403.
        if actor.has_perm("maintenance.change_pendingupdate"):
            raise TransitionNotAllowed(_("This action is not allowed in the current state."))
        raise PermissionDenied


@transaction.atomic
def update_dismiss(*, update_id: int, actor, source: str, note: str) -> PendingUpdate:
    update = PendingUpdate.objects.select_for_update().get(pk=update_id)
    _guarded(update, update.dismiss, actor)
    if not (note or "").strip():
        raise DomainError(_("Say why the update is dismissed."), field="note")
    before = update.status
    update.dismiss(at=timezone.now(), note=note.strip())
    update.save()
    record_event(update, action="update dismissed", actor=actor, source=source, before=before,
                 message=note.strip())  # fmt: skip
    return update


@transaction.atomic
def update_mark_applied(*, update_id: int, actor, source: str, note: str = "") -> PendingUpdate:
    update = PendingUpdate.objects.select_for_update().get(pk=update_id)
    _guarded(update, update.mark_applied, actor)
    before = update.status
    update.mark_applied(at=timezone.now(), note=(note or "").strip())
    update.save()
    record_event(update, action="update applied", actor=actor, source=source, before=before)
    return update


# --- analysis ---------------------------------------------------------------------------


@dataclass
class Analysis:
    affected: list[Service]
    change_class: str
    reasons: list[str] = field(default_factory=list)


def analyse(update: PendingUpdate) -> Analysis:
    """Affected services (the update's and everything depending on them) and a change class.

    DOMAIN.md: a security-vulnerability patch rated critical is an emergency change; a major
    update is a major change; feature improvements, and anything touching a critical service
    (other than a security patch), are normal changes; routine patches are standard.
    """
    affected = impacted_services(list(update.services.all()))
    services = sorted(affected, key=lambda s: (s.criticality, s.name))
    reasons = []
    if not services:
        reasons.append(_("No service is linked: it is scheduled into a window for every service."))
    else:
        reasons.append(
            ngettext("Affects %(n)s service: %(names)s.", "Affects %(n)s services: %(names)s.",
                     len(services))
            % {"n": len(services), "names": ", ".join(s.name for s in services)}
        )  # fmt: skip
    critical = [s for s in services if s.criticality == Service.Criticality.CRITICAL]
    if update.kind == UpdateKind.SECURITY and update.severity == UpdateSeverity.CRITICAL:
        change_class = "emergency"
        reasons.append(_("Critical security patch: emergency change, earliest window."))
    elif update.kind == UpdateKind.MAJOR:
        change_class = "major"
        reasons.append(_("Major update: major change, reviewed by the CAB."))
    elif update.kind == UpdateKind.FEATURE:
        change_class = "normal"
        reasons.append(_("Feature improvement: normal change."))
    elif critical and update.kind != UpdateKind.SECURITY:
        change_class = "normal"
        reasons.append(_("Touches a critical service: normal change."))
    else:
        change_class = "standard"
        reasons.append(_("Routine patch: standard change."))
    if update.kind == UpdateKind.SECURITY:
        reasons.append(_("Security patch: goes into the earliest suitable window."))
    return Analysis(services, change_class, reasons)


@transaction.atomic
def update_analyse(*, update_id: int, actor=None, source: str = Source.TIMER) -> PendingUpdate:
    require(actor, "maintenance.change_pendingupdate")
    update = PendingUpdate.objects.select_for_update().get(pk=update_id)
    if update.status not in (UpdateStatus.REGISTERED, UpdateStatus.ANALYSED):
        raise Conflict(_("Only an update that is not scheduled yet can be analysed."))
    result = analyse(update)
    before = update.status
    update.record_analysis(
        at=timezone.now(), suggested_class=result.change_class, analysis="\n".join(result.reasons)
    )
    update.save()
    update.affected_services.set(result.affected)
    record_event(update, action="update analysed", actor=actor, source=source, before=before,
                 payload={"class": result.change_class,
                          "affected": [s.pk for s in result.affected]})  # fmt: skip
    return update


# --- scheduling -------------------------------------------------------------------------


def _owner_team(update: PendingUpdate):
    """The team owning the most critical service the update is applied to."""
    services = update.services.select_related("owner_team__calendar").order_by("criticality")
    first = services.first()
    return first.owner_team if first else None


@transaction.atomic
def update_schedule(
    *,
    update_id: int,
    now: datetime,
    windows: list[integration.WindowSlot],
    freezes: list[integration.WindowSlot],
    notice_days: int,
    actor=None,
    source: str = Source.TIMER,
) -> PendingUpdate:
    """Put an analysed update into the next suitable window as a change; notify the owners
    of the affected services after commit. DomainError when no window fits."""
    require(actor, "maintenance.change_pendingupdate")
    update = PendingUpdate.objects.select_for_update().get(pk=update_id)
    if update.status != UpdateStatus.ANALYSED:
        raise Conflict(_("Only an analysed update can be scheduled."))
    team = _owner_team(update)
    rules = integration.class_rules(update.suggested_class)
    earliest = earliest_start(
        now=now,
        rules=rules,
        security=update.is_security,
        notice_days=notice_days,
        calendar=team.calendar.spec() if team and team.calendar else None,
    )
    slot = choose_window(
        windows,
        freezes,
        service_ids=set(update.services.values_list("pk", flat=True)),
        impacted_ids=set(update.affected_services.values_list("pk", flat=True)),
        earliest=earliest,
        freeze_exempt=rules.freeze_exempt,
    )
    if slot is None:
        raise DomainError(
            _("No maintenance window covering its services starts after %(earliest)s.")
            % {"earliest": timezone.localtime(earliest).strftime("%Y-%m-%d %H:%M")}
        )
    affected = list(update.affected_services.all())
    change = integration.create_update_change(
        title=_("Apply %(component)s %(version)s") % {
            "component": update.component, "version": update.version},
        description="\n\n".join(filter(None, [update.notes, update.analysis, update.advisory])),
        change_class=update.suggested_class,
        services=list(update.services.all()) or affected,
        owner_team=team,
        start=slot.start,
        end=slot.end,
    )  # fmt: skip
    before = update.status
    update.schedule(
        at=now,
        window_name=slot.name,
        window_start=slot.start,
        window_end=slot.end,
        change_id=change.id,
        reference=change.reference,
    )
    update.save()
    record_event(update, action="update scheduled", actor=actor, source=source, before=before,
                 payload={"window": slot.name, "start": slot.start.isoformat(),
                          "change": change.reference})  # fmt: skip
    from ..tasks import notify_update_scheduled

    transaction.on_commit(partial(notify_update_scheduled.delay, update.pk))
    return update


def update_schedule_now(
    *, update_id: int, actor, source: str, notice_days: int = 2, horizon_days: int = 90
) -> PendingUpdate:
    """Analyse one update and schedule it at once: the weekly job's work, on demand. The
    analysis is kept even when no window fits."""
    update_analyse(update_id=update_id, actor=actor, source=source)
    now = timezone.now()
    end = now + timedelta(days=horizon_days)
    return update_schedule(
        update_id=update_id,
        now=now,
        windows=integration.maintenance_windows(start=now, end=end),
        freezes=integration.freeze_periods(start=now, end=end),
        notice_days=notice_days,
        actor=actor,
        source=source,
    )


@dataclass
class WeeklyResult:
    analysed: int = 0
    scheduled: list[str] = field(default_factory=list)
    unscheduled: list[str] = field(default_factory=list)
    unavailable: str = ""


def updates_process(*, now: datetime, notice_days: int, horizon_days: int) -> WeeklyResult:
    """The weekly job: analyse each open update, then schedule it, security patches first."""
    result = WeeklyResult()
    pending = PendingUpdate.objects.filter(
        status__in=[UpdateStatus.REGISTERED, UpdateStatus.ANALYSED]
    ).order_by("severity", "registered_at", "pk")
    ids = list(pending.values_list("pk", flat=True))
    for update_id in ids:
        update_analyse(update_id=update_id)
        result.analysed += 1
    if not ids:
        return result
    try:
        end = now + timedelta(days=horizon_days)
        windows = integration.maintenance_windows(start=now, end=end)
        freezes = integration.freeze_periods(start=now, end=end)
    except DomainError as exc:
        result.unavailable = str(exc.message)
        return result
    # Security patches claim the earliest windows first.
    ordered = sorted(
        PendingUpdate.objects.filter(pk__in=ids),
        key=lambda u: (not u.is_security, u.severity, u.registered_at, u.pk),
    )
    for update in ordered:
        try:
            scheduled = update_schedule(
                update_id=update.pk,
                now=now,
                windows=windows,
                freezes=freezes,
                notice_days=notice_days,
            )
            result.scheduled.append(
                f"{scheduled} → {scheduled.window_name} "
                f"{scheduled.window_start:%Y-%m-%d %H:%M} UTC ({scheduled.change_reference})"
            )
        except DomainError as exc:
            result.unscheduled.append(f"{update}: {exc.message}")
    return result
