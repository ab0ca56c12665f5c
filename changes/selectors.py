"""Reads shared by pages, the API and other apps. They own select_related/prefetch_related,
so a list costs the same number of queries whatever its length."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from itsm.models import AuditEvent, Service

from .models import (
    ACTIVE_STATES,
    Approval,
    Change,
    ChangeClassPolicy,
    ChangeConflict,
    ChecklistItem,
    FreezePeriod,
    MaintenanceWindow,
    Status,
)

# States in which a change may cover a production deployment.
COVERING_STATES = [Status.APPROVED, Status.SCHEDULED, Status.IMPLEMENTING]


def services_prefetch(name: str = "services") -> Prefetch:
    return Prefetch(name, queryset=Service.objects.only("id", "name", "slug", "criticality"))


def change_list() -> QuerySet[Change]:
    return Change.objects.select_related("requester", "implementer", "owner_team").prefetch_related(
        services_prefetch()
    )


def change_for_detail(pk: int) -> Change:
    """Everything the detail page and the transition guards read, in a fixed set of queries."""
    return (
        Change.objects.select_related(
            "requester", "implementer", "owner_team", "template", "backup_confirmed_by"
        )
        .prefetch_related(
            services_prefetch(),
            services_prefetch("impacted_services"),
            Prefetch(
                "checklist_items",
                queryset=ChecklistItem.objects.select_related("checked_by"),
            ),
            Prefetch("approvals", queryset=Approval.objects.select_related("approver", "meeting")),
            Prefetch("conflicts", queryset=ChangeConflict.objects.select_related("other")),
            "work_log__author",
            "comments__author",
        )
        .get(pk=pk)
    )


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # event, vote, comment, work
    actor: object
    text: str = ""
    detail: str = ""
    from_state: str = ""
    to_state: str = ""
    action: str = ""
    count: int = 1


def timeline(change: Change) -> list[TimelineEntry]:
    """Audit events, decisions, comments and work log of a change, oldest first."""
    from .actions import EVENT_LABELS

    labels = dict(Status.choices)
    entries: list[TimelineEntry] = []
    for event in AuditEvent.objects.for_object(change).select_related("actor"):
        if event.action in {"approve", "reject", "vote"} and event.from_state == event.to_state:
            continue  # the vote itself is shown below
        entries.append(
            TimelineEntry(
                at=event.at,
                kind="event",
                actor=event.actor,
                text=str(EVENT_LABELS.get(event.action, event.action)),
                # a decision's comment is shown with the vote itself
                detail="" if event.action in {"approve", "reject", "vote"} else event.message,
                from_state=labels.get(event.from_state, "")
                if event.from_state != event.to_state
                else "",
                to_state=labels.get(event.to_state, "")
                if event.from_state != event.to_state
                else "",
                action=event.action,
            )
        )
    for approval in change.approvals.all():
        entries.append(
            TimelineEntry(
                at=approval.at,
                kind="vote",
                actor=approval.approver,
                text=approval.get_decision_display(),
                detail=approval.comment,
                action=approval.decision,
            )
        )
    for comment in change.comments.all():
        entries.append(TimelineEntry(at=comment.at, kind="comment", actor=comment.author,
                                     detail=comment.text))  # fmt: skip
    for entry in change.work_log.all():
        entries.append(TimelineEntry(at=entry.at, kind="work", actor=entry.author,
                                     detail=entry.text))  # fmt: skip
    entries.sort(key=lambda e: e.at)
    return _group_checks(entries)


def _group_checks(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Consecutive ticks by one person read as one entry (“ticked 9 checks”)."""
    from django.utils.translation import ngettext

    grouped: list[TimelineEntry] = []
    for entry in entries:
        last = grouped[-1] if grouped else None
        if (
            entry.action == "check"
            and last is not None
            and last.action == "check"
            and last.actor == entry.actor
        ):
            last.detail = f"{last.detail}\n{entry.detail}"
            last.count += 1
            last.text = ngettext("ticked %(n)s check", "ticked %(n)s checks", last.count) % {
                "n": last.count
            }
            continue
        grouped.append(entry)
    return grouped


def approver_classes(user) -> list[str]:
    """The classes whose approver role this user holds."""
    return [
        p.change_class for p in ChangeClassPolicy.objects.all() if user.has_role(p.approver_role)
    ]


def awaiting_my_approval(user) -> QuerySet[Change]:
    """The inbox: changes waiting for a decision this user may still give."""
    return (
        change_list()
        .filter(status=Status.AWAITING_APPROVAL, change_class__in=approver_classes(user))
        .exclude(requester=user)
        .exclude(implementer=user)
        .exclude(approvals__approver=user)
        .order_by("planned_start", "pk")
    )


def my_open_changes(user) -> QuerySet[Change]:
    return (
        change_list()
        .open()
        .filter(Q(requester=user) | Q(implementer=user))
        .order_by("planned_start", "pk")
    )


def reviews_due(now: datetime | None = None) -> QuerySet[Change]:
    return (
        change_list()
        .filter(review_due_at__isnull=False, reviewed_at__isnull=True)
        .exclude(status__in=[Status.CLOSED, Status.CANCELLED])
        .order_by("review_due_at")
    )


def my_work_sections(user) -> list[dict]:
    """The changes part of the home page (registered with itsm.mywork)."""
    url = reverse("changes:list")
    sections = [
        {
            "title": _("Changes waiting for my approval"),
            "items": list(awaiting_my_approval(user)[:10]),
            "url": reverse("changes:inbox"),
            "empty": _("Nothing waits for your approval."),
        },
        {
            "title": _("My open changes"),
            "items": list(my_open_changes(user)[:10]),
            "url": f"{url}?mine=1",
            "empty": _("You have no open changes. File one from the Changes page."),
        },
    ]
    if user.has_perm("changes.review_change"):
        sections.append(
            {
                "title": _("Post-implementation reviews due"),
                "items": list(reviews_due()[:10]),
                "url": f"{url}?review=due",
                "empty": _("No review is due."),
            }
        )
    return sections


def approved_change_covering(*, service_ids: Iterable[int], at: datetime) -> Change | None:
    """An approved change whose window contains `at` and that names every one of
    `service_ids` as affected; releases gate production deployments on it."""
    ids = set(service_ids)
    if not ids:
        return None
    return (
        Change.objects.filter(status__in=COVERING_STATES, planned_start__lte=at, planned_end__gt=at)
        .annotate(covered=Count("services", filter=Q(services__in=ids), distinct=True))
        .filter(covered=len(ids))
        .order_by("planned_start", "pk")
        .first()
    )


@dataclass
class CalendarData:
    changes: list[Change]
    windows: list[tuple[MaintenanceWindow, datetime, datetime]]
    freezes: list[FreezePeriod]


def calendar_data(
    start: datetime, end: datetime, *, service_ids: set[int] | None = None, team_id=None
) -> CalendarData:
    """Planned changes, maintenance window occurrences and freeze periods in [start, end)."""
    changes = (
        change_list()
        .filter(status__in=[*ACTIVE_STATES, Status.COMPLETED, Status.FAILED, Status.ROLLED_BACK])
        .overlapping(start, end)
        .annotate(conflict_count=Count("conflicts", distinct=True))
        .order_by("planned_start", "pk")
    )
    if service_ids:
        changes = changes.filter(
            Q(services__in=service_ids) | Q(impacted_services__in=service_ids)
        ).distinct()
    if team_id:
        changes = changes.filter(owner_team_id=team_id)
    windows = []
    candidates = MaintenanceWindow.objects.filter(start__lt=end).filter(
        ~Q(recurrence="") | Q(end__gt=start)
    )
    for window in candidates.prefetch_related("services"):
        if service_ids and not window.covers_services(service_ids):
            continue
        for begin, finish in window.occurrences(start, end):
            windows.append((window, begin, finish))
    freezes = [
        f
        for f in FreezePeriod.objects.filter(start__lt=end, end__gt=start).prefetch_related(
            "services"
        )
        if not service_ids or f.covers_services(service_ids)
    ]
    return CalendarData(changes=list(changes), windows=windows, freezes=freezes)
