"""Targets and their policies: created from the per-kind defaults, edited by administrators."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from itsm.audit import record_event
from itsm.errors import DomainError

from ..models import BackupPolicy, BackupTarget, KindDefault, PolicyDefault, StorageLocation
from .common import require_perm
from .compliance import refresh_rpo

TARGET_FIELDS = {
    "name", "slug", "kind", "description", "service", "owner_team", "primary_medium", "rpo",
    "rto", "at_risk_percent", "drill_interval", "is_active",
}  # fmt: skip
POLICY_FIELDS = {
    "name", "method", "interval", "next_run_at", "retention_generations", "retention_days",
    "storage_location", "encrypted", "start_grace", "max_duration", "is_active",
}  # fmt: skip
_UNSET = object()


def _plain(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value.total_seconds()
    if hasattr(value, "pk"):
        return value.pk
    return value if value is None or isinstance(value, (int, float, bool, str)) else str(value)


def _positive(value: timedelta | None, field: str) -> None:
    if value is not None and value <= timedelta(0):
        raise DomainError(_("Give a duration longer than zero."), field=field)


def _check_target(fields: dict) -> None:
    for name in ("rpo", "rto", "drill_interval"):
        _positive(fields.get(name), name)
    interval = fields.get("drill_interval")
    if interval is not None and not timedelta(days=7) <= interval <= timedelta(days=92):
        raise DomainError(_("Restore tests are held weekly to quarterly."), field="drill_interval")


def _check_policy(fields: dict) -> None:
    if fields.get("retention_generations") is None and fields.get("retention_days") is None:
        raise DomainError(_("Keep a number of generations or of days."), field="retention_days")
    for name in ("retention_generations", "retention_days"):
        if fields.get(name) == 0:
            raise DomainError(_("Keep at least one."), field=name)
    for name in ("interval", "start_grace", "max_duration"):
        _positive(fields.get(name), name)


@transaction.atomic
def target_create(
    *,
    actor,
    source: str,
    name: str,
    kind: str,
    slug: str = "",
    storage_location: StorageLocation | None = None,
    with_default_policies: bool = True,
    **fields: Any,
) -> BackupTarget:
    """A new target with the objectives and policies of its kind (DOMAIN.md's defaults)."""
    require_perm(actor, "backups.add_backuptarget")
    unknown = set(fields) - TARGET_FIELDS
    if unknown:
        raise TypeError(f"unknown target fields: {sorted(unknown)}")
    defaults = KindDefault.objects.filter(kind=kind).first()
    for attr in ("rpo", "rto", "drill_interval"):
        if attr not in fields and defaults is not None:
            fields[attr] = getattr(defaults, attr)
    _check_target(fields)
    slug = slug or slugify(name)[:50]
    if not slug:
        raise DomainError(_("Give the target a name with letters or digits."), field="name")
    if BackupTarget.objects.filter(slug=slug).exists():
        raise DomainError(_("A target with this slug exists already."), field="slug")
    if BackupTarget.objects.filter(name=name).exists():
        raise DomainError(_("A target with this name exists already."), field="name")
    target = BackupTarget.objects.create(name=name, slug=slug, kind=kind, **fields)
    record_event(
        target,
        action="created",
        actor=actor,
        source=source,
        payload={k: _plain(v) for k, v in fields.items()},
    )
    templates = list(PolicyDefault.objects.filter(kind=kind)) if with_default_policies else []
    if templates:
        location = storage_location or StorageLocation.objects.filter(is_active=True).first()
        if location is None:
            raise DomainError(
                _("Create a storage location first: the default policies need one."),
                field="storage_location",
            )
        for template in templates:
            _create_policy(
                target,
                actor=actor,
                source=source,
                name=template.name,
                method=template.method,
                interval=template.interval,
                retention_generations=template.retention_generations,
                retention_days=template.retention_days,
                storage_location=location,
            )
    refresh_rpo(target=target, actor=actor, source=source)
    from .drills import ensure_drill_planned

    ensure_drill_planned(target=target, source=source)
    return target


@transaction.atomic
def target_update(*, target_id: int, actor, source: str, **changes: Any) -> BackupTarget:
    require_perm(actor, "backups.change_backuptarget")
    unknown = set(changes) - TARGET_FIELDS
    if unknown:
        raise TypeError(f"unknown target fields: {sorted(unknown)}")
    target = BackupTarget.objects.select_for_update().get(pk=target_id)
    diff = {k: v for k, v in changes.items() if getattr(target, k) != v}
    if not diff:
        return target
    _check_target({k: changes.get(k, getattr(target, k)) for k in ("rpo", "rto", "drill_interval")})
    before = {k: _plain(getattr(target, k)) for k in diff}
    for key, value in diff.items():
        setattr(target, key, value)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        raise DomainError(_("Another target has this name or slug."), field="name") from None
    record_event(
        target,
        action="updated",
        actor=actor,
        source=source,
        payload={"before": before, "after": {k: _plain(v) for k, v in diff.items()}},
    )
    refresh_rpo(target=target, actor=actor, source=source)
    if "drill_interval" in diff or "is_active" in diff:
        from .drills import ensure_drill_planned

        ensure_drill_planned(target=target, source=source)
    return target


def _create_policy(target: BackupTarget, *, actor, source: str, **fields: Any) -> BackupPolicy:
    unknown = set(fields) - POLICY_FIELDS
    if unknown:
        raise TypeError(f"unknown policy fields: {sorted(unknown)}")
    _check_policy(fields)
    if target.policies.filter(name=fields["name"]).exists():
        raise DomainError(_("This target has a policy with this name already."), field="name")
    if fields.get("interval") and not fields.get("next_run_at"):
        fields["next_run_at"] = timezone.now()
    policy = BackupPolicy.objects.create(target=target, **fields)
    record_event(
        policy,
        action="created",
        actor=actor,
        source=source,
        payload={k: _plain(v) for k, v in fields.items()},
    )
    record_event(
        target,
        action="policy_added",
        actor=actor,
        source=source,
        after="",
        payload={"policy": policy.pk, "name": policy.name},
    )
    return policy


@transaction.atomic
def policy_create(*, target_id: int, actor, source: str, **fields: Any) -> BackupPolicy:
    require_perm(actor, "backups.add_backuppolicy")
    target = BackupTarget.objects.select_for_update().get(pk=target_id)
    return _create_policy(target, actor=actor, source=source, **fields)


@transaction.atomic
def policy_update(*, policy_id: int, actor, source: str, **changes: Any) -> BackupPolicy:
    require_perm(actor, "backups.change_backuppolicy")
    unknown = set(changes) - POLICY_FIELDS
    if unknown:
        raise TypeError(f"unknown policy fields: {sorted(unknown)}")
    policy = BackupPolicy.objects.select_for_update().select_related("target").get(pk=policy_id)
    diff = {k: v for k, v in changes.items() if getattr(policy, k) != v}
    if not diff:
        return policy
    merged = {f: changes.get(f, getattr(policy, f)) for f in POLICY_FIELDS}
    _check_policy(merged)
    if "name" in diff and policy.target.policies.filter(name=diff["name"]).exists():
        raise DomainError(_("This target has a policy with this name already."), field="name")
    before = {k: _plain(getattr(policy, k)) for k in diff}
    for key, value in diff.items():
        setattr(policy, key, value)
    if policy.interval and not policy.next_run_at:
        policy.next_run_at = timezone.now()
    policy.save()
    record_event(
        policy,
        action="updated",
        actor=actor,
        source=source,
        payload={"before": before, "after": {k: _plain(v) for k, v in diff.items()}},
    )
    return policy


LOCATION_FIELDS = {"name", "medium", "uri", "off_site", "is_active"}


@transaction.atomic
def location_save(
    *, actor, source: str, location_id: int | None = None, **fields: Any
) -> StorageLocation:
    """Create or change a storage location (its medium and site count in the 3-2-1 check)."""
    unknown = set(fields) - LOCATION_FIELDS
    if unknown:
        raise TypeError(f"unknown location fields: {sorted(unknown)}")
    require_perm(
        actor, "backups.change_storagelocation" if location_id else "backups.add_storagelocation"
    )
    location = (
        StorageLocation.objects.select_for_update().get(pk=location_id)
        if location_id
        else StorageLocation()
    )
    clash = StorageLocation.objects.filter(name=fields.get("name", location.name))
    if clash.exclude(pk=location.pk).exists():
        raise DomainError(_("A storage location with this name exists already."), field="name")
    before = {k: _plain(getattr(location, k)) for k in fields} if location_id else {}
    for key, value in fields.items():
        setattr(location, key, value)
    location.save()
    record_event(
        location,
        action="updated" if location_id else "created",
        actor=actor,
        source=source,
        payload={"before": before, "after": {k: _plain(v) for k, v in fields.items()}},
    )
    return location
