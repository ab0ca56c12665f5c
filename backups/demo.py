"""Demo data for `manage.py seed_demo`: targets in every compliance state, runs, drills.

Everything goes through the services, as a real installation would; running it twice adds
nothing the second time.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from itsm.models import Service, Team

from . import services
from .models import BackupTarget, Medium, StorageLocation, TargetKind

LOCATIONS = [
    # name, medium, address, off-site
    ("Seoul NAS", Medium.NAS, "nfs://nas01.seoul/backup", False),
    ("Tokyo object storage", Medium.OBJECT, "s3://itsm-backup-tokyo", True),
    ("Tape vault", Medium.TAPE, "vault://iron-mountain/itsm", True),
]
TARGETS = [
    # name, slug, kind, service slug, team slug
    ("Customer database", "customer-db-backup", TargetKind.DATABASE, "customer-db", "platform-ops"),
    (
        "File storage",
        "file-storage-backup",
        TargetKind.FILE_STORAGE,
        "file-storage",
        "platform-ops",
    ),
    ("Platform configuration", "platform-config", TargetKind.SYSTEM_CONFIG, None, "platform-ops"),
    ("Application logs", "app-logs", TargetKind.LOGS, None, "service-desk-tokyo"),
    ("Whole platform", "whole-platform", TargetKind.WHOLE_SYSTEM, "web-shop", "platform-ops"),
]


def _report(target: str, job: str, status: str, *, hours_ago: float, minutes: int = 20, **extra):
    start = timezone.now() - timedelta(hours=hours_ago)
    services.run_report(
        actor=None,
        source="system",
        target=target,
        external_id=job,
        status=status,
        started_at=start,
        finished_at=start + timedelta(minutes=minutes),
        **extra,
    )


@transaction.atomic
def seed() -> None:
    if BackupTarget.objects.filter(slug="customer-db-backup").exists():
        return
    locations = {}
    for name, medium, uri, off_site in LOCATIONS:
        locations[name] = StorageLocation.objects.filter(name=name).first() or (
            services.location_save(
                actor=None, source="system", name=name, medium=medium, uri=uri, off_site=off_site
            )
        )
    nas = locations["Seoul NAS"]
    targets = {}
    for name, slug, kind, service, team in TARGETS:
        targets[slug] = services.target_create(
            actor=None,
            source="system",
            name=name,
            slug=slug,
            kind=kind,
            service=Service.objects.filter(slug=service).first() if service else None,
            owner_team=Team.objects.filter(slug=team).first(),
            storage_location=nas,
        )
    # The customer database also goes off-site to object storage: its 3-2-1 check is met.
    services.policy_create(
        target_id=targets["customer-db-backup"].pk,
        actor=None,
        source="system",
        name="Weekly full off-site",
        method="full",
        interval=timedelta(days=7),
        retention_generations=12,
        storage_location=locations["Tokyo object storage"],
        encrypted=True,
    )

    big = {"size_bytes": 48 * 1024**3, "checksum": "9f" * 32, "location": "nas01:/db/full"}
    _report(
        "customer-db-backup",
        "db-full-0412",
        "verified",
        hours_ago=26,
        minutes=55,
        method="full",
        **big,
    )
    _report(
        "customer-db-backup",
        "db-diff-0413a",
        "verified",
        hours_ago=3,
        method="differential",
        size_bytes=2 * 1024**3,
        checksum="1c" * 32,
        location="nas01:/db/diff",
    )
    _report(
        "customer-db-backup",
        "db-diff-0413b",
        "failed",
        hours_ago=0.5,
        method="differential",
        message="pg_basebackup: could not connect to server: timeout",
    )
    _report(
        "file-storage-backup",
        "files-0411",
        "verified",
        hours_ago=30,
        minutes=80,
        size_bytes=310 * 1024**3,
        checksum="7e" * 32,
        location="nas01:/files",
    )
    _report(
        "platform-config",
        "config-commit-8c1d",
        "verified",
        hours_ago=50,
        minutes=1,
        size_bytes=2_400_000,
        checksum="3a" * 32,
        location="git:ops/config@8c1d",
    )
    _report(
        "app-logs",
        "logs-hourly-17",
        "succeeded",
        hours_ago=1,
        minutes=4,
        size_bytes=900 * 1024**2,
        checksum="5b" * 32,
        location="nas01:/logs",
    )

    now = timezone.now()
    db = targets["customer-db-backup"]
    drill = services.drill_plan(
        target_id=db.pk,
        actor=None,
        source="system",
        planned_for=now - timedelta(days=2),
        scenario="Restore last night's full into db-restore-01",
    )
    full = db.runs.filter(external_id="db-full-0412").first()
    services.drill_record(
        drill_id=drill.pk,
        actor=None,
        source="system",
        started_at=now - timedelta(days=1, hours=2),
        finished_at=now - timedelta(days=1, hours=1),
        data_verified=True,
        run_id=full.pk if full else None,
        evidence="Restored into db-restore-01; row counts of 12 key tables match; app smoke "
        "test passed.",
    )
    services.drill_plan(
        target_id=targets["file-storage-backup"].pk,
        actor=None,
        source="system",
        planned_for=now - timedelta(days=3),
        scenario="Restore /shared/finance to a scratch host",
    )
