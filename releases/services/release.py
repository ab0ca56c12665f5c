"""Create, edit and move releases through their stages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed, can_proceed

from itsm.audit import record_event
from itsm.errors import Conflict, DomainError
from itsm.models import Service, Team
from itsm.timers.services import timer_cancel

from .. import gates
from .. import permissions as perms
from ..models import Deployment, Environment, Release, ReleaseItem, Stage
from ..tasks import notify_release

CANARY_TIMER = "releases.canary_window"

# The verbs of the API and the page, in pipeline order, with the ones that need a reason.
TRANSITIONS = [
    "start_testing",
    "fail_test",
    "promote_to_staging",
    "fail_staging",
    "start_canary",
    "promote_to_production",
    "rollback",
    "complete",
    "cancel",
]
NEEDS_REASON = {"fail_test", "fail_staging", "rollback", "cancel"}

EDITABLE_FIELDS = {
    "title",
    "kind",
    "team",
    "manager",
    "planned_at",
    "notes",
    "strategy",
    "canary_percent",
    "canary_duration_minutes",
    "rolling_batch_percent",
    "blue_green_hold_minutes",
}


def _lock(release_id: int) -> Release:
    return Release.objects.select_for_update().get(pk=release_id)


def _set_items(release: Release, items: Iterable[dict]) -> None:
    release.items.all().delete()
    ReleaseItem.objects.bulk_create(
        ReleaseItem(
            release=release,
            position=position,
            category=item.get("category") or ReleaseItem.Category.IMPROVEMENT,
            title=item["title"],
            description=item.get("description", ""),
            link=item.get("link", ""),
        )
        for position, item in enumerate(items)
    )


def _require_services(services) -> list[Service]:
    services = list(services or [])
    if not services:
        raise DomainError(_("A release ships at least one service."), field="services")
    return services


@transaction.atomic
def release_create(
    *,
    actor,
    source: str,
    version: str,
    team: Team,
    services: Iterable[Service],
    items: Iterable[dict] = (),
    changes: Iterable = (),
    incidents_fixed: Iterable = (),
    **fields,
) -> Release:
    if not actor.has_perm(perms.ADD):
        raise PermissionDenied(_("You may not create releases."))
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    services = _require_services(services)
    if Release.objects.filter(version__iexact=version).exists():
        raise DomainError(_("A release with this version already exists."), field="version")
    release = Release(version=version, team=team, created_by=actor, **fields)
    release.full_clean(exclude=["services", "stage"])
    release.stage_entered_at = timezone.now()
    release.save()
    release.services.set(services)
    release.changes.set(list(changes))
    release.incidents_fixed.set(list(incidents_fixed))
    _set_items(release, items)
    record_event(
        release,
        action="created",
        actor=actor,
        source=source,
        after=release.stage,
        payload={"version": version, "services": [s.slug for s in services]},
    )
    return release


@transaction.atomic
def release_update(
    *,
    release_id: int,
    actor,
    source: str,
    version: str | None = None,
    services: Iterable[Service] | None = None,
    items: Iterable[dict] | None = None,
    changes: Iterable | None = None,
    incidents_fixed: Iterable | None = None,
    **fields,
) -> Release:
    """Edit the content of a release that is still in flight."""
    release = _lock(release_id)
    if not actor.has_perm(perms.CHANGE):
        raise PermissionDenied(_("You may not edit releases."))
    if release.is_finished:
        raise Conflict(_("A finished release can no longer be edited."))
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    changed: dict[str, str] = {}
    if version is not None and version != release.version:
        if release.stage != Stage.DEVELOPMENT:
            raise Conflict(_("The version can change only in development."), code="version_locked")
        if Release.objects.filter(version__iexact=version).exclude(pk=release.pk).exists():
            raise DomainError(_("A release with this version already exists."), field="version")
        changed["version"] = release.version
        release.version = version
    strategy_changes = "strategy" in fields and fields["strategy"] != release.strategy
    if strategy_changes and release.stage in (Stage.CANARY, Stage.PRODUCTION):
        raise Conflict(_("The strategy cannot change once the release is live."))
    for name, value in fields.items():
        if getattr(release, name) != value:
            changed[name] = str(getattr(release, name) or "")
            setattr(release, name, value)
    release.full_clean(exclude=["services", "stage"])
    release.save()
    if services is not None:
        services = _require_services(services)
        before = sorted(release.services.values_list("slug", flat=True))
        if before != sorted(s.slug for s in services):
            changed["services"] = ", ".join(before)
            release.services.set(services)
    if items is not None:
        _set_items(release, items)
        changed["items"] = ""
    for name, value in (("changes", changes), ("incidents_fixed", incidents_fixed)):
        if value is None:
            continue
        value = list(value)
        relation = getattr(release, name)
        before_ids = sorted(relation.values_list("pk", flat=True))
        if before_ids != sorted(v.pk for v in value):
            changed[name] = ", ".join(map(str, before_ids))
            relation.set(value)
    if changed:
        record_event(
            release,
            action="edited",
            actor=actor,
            source=source,
            before=release.stage,
            after=release.stage,
            payload={"fields": sorted(changed)},
        )
    return release


@transaction.atomic
def release_delete(*, release_id: int, actor, source: str) -> None:
    """Only a release that never left development and has no reports may be deleted."""
    release = _lock(release_id)
    if not actor.has_perm(perms.DELETE):
        raise PermissionDenied(_("You may not delete releases."))
    if release.stage != Stage.DEVELOPMENT or release.attempt or release.deployments.exists():
        raise Conflict(
            _("Only a release still in its first development may be deleted; cancel it instead.")
        )
    release.delete()


def _check_transition(release: Release, verb: str, actor) -> None:
    method = getattr(release, verb)
    if not can_proceed(method, check_conditions=False):
        raise TransitionNotAllowed(f"{verb} from {release.stage}")
    if not method._django_fsm.has_transition_perm(release, release.stage, actor):
        raise PermissionDenied(_("You may not do this to a release."))


def _after_leaving(release: Release, before: str, at: datetime) -> None:
    if before == Stage.CANARY:
        timer_cancel(subject=release, kind=CANARY_TIMER)


def release_transition(
    *,
    release_id: int,
    verb: str,
    actor,
    source: str,
    reason: str = "",
    check_permission: bool = True,
) -> Release:
    """Run transition `verb`. Order of refusals: wrong stage (409), not allowed (403),
    missing reason (400), gate not met (409 naming the gate)."""
    if verb not in TRANSITIONS:
        raise DomainError(_("Unknown action."))
    with transaction.atomic():
        release = _lock(release_id)
        if check_permission:
            _check_transition(release, verb, actor)
        elif not can_proceed(getattr(release, verb), check_conditions=False):
            raise TransitionNotAllowed(f"{verb} from {release.stage}")
        reason = (reason or "").strip()
        if verb in NEEDS_REASON and not reason:
            raise DomainError(_("Give a reason."), field="reason")
        now = timezone.now()
        before = release.stage
        payload: dict = {}
        kwargs: dict = {"at": now}
        if verb in NEEDS_REASON:
            kwargs["reason"] = reason
        if verb == "promote_to_production":
            gates.require(release, verb, at=now)
            _gate, change = gates.change_gate(release, at=now)
            assert change is not None  # require() passed, so the change gate is met
            kwargs["change_id"] = change.pk
            payload["change"] = change.pk
        else:
            gates.require(release, verb, at=now)
        getattr(release, verb)(**kwargs)
        release.save()
        if verb == "promote_to_production":
            release.changes.add(change)  # the covering change is part of the content
        if verb == "rollback":
            payload["deployments"] = list(
                release.deployments.filter(
                    environment__in=[Environment.CANARY, Environment.PRODUCTION],
                    attempt=release.attempt,
                    result=Deployment.Result.SUCCEEDED,
                    rolled_back_at__isnull=True,
                ).values_list("pk", flat=True)
            )
            Deployment.objects.filter(pk__in=payload["deployments"]).update(rolled_back_at=now)
        _after_leaving(release, before, now)
        record_event(
            release,
            action=verb,
            actor=actor,
            source=source,
            before=before,
            after=release.stage,
            message=reason,
            payload=payload,
        )
        if verb in {"rollback", "promote_to_production", "fail_test", "fail_staging", "complete"}:
            transaction.on_commit(partial(notify_release.delay, release.pk, verb))
    return release


def _verb_service(verb: str):
    def service(*, release_id: int, actor, source: str, **kwargs) -> Release:
        return release_transition(
            release_id=release_id, verb=verb, actor=actor, source=source, **kwargs
        )

    service.__name__ = f"release_{verb}"
    service.__doc__ = f"Run the `{verb}` transition of a release (see Release.{verb})."
    return service


release_start_testing = _verb_service("start_testing")
release_fail_test = _verb_service("fail_test")
release_promote_to_staging = _verb_service("promote_to_staging")
release_fail_staging = _verb_service("fail_staging")
release_start_canary = _verb_service("start_canary")
release_promote_to_production = _verb_service("promote_to_production")
release_rollback = _verb_service("rollback")
release_complete = _verb_service("complete")
release_cancel = _verb_service("cancel")
