from datetime import timedelta

import factory
from django.utils import timezone

from backups.models import (
    BackupPolicy,
    BackupRun,
    BackupTarget,
    Medium,
    Method,
    RestoreTest,
    StorageLocation,
    TargetKind,
)


class StorageLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StorageLocation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Location {n}")
    medium = Medium.NAS
    uri = factory.LazyAttribute(lambda o: f"nfs://backup/{o.name.lower().replace(' ', '-')}")
    off_site = False


class BackupTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BackupTarget
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Target {n}")
    slug = factory.Sequence(lambda n: f"target-{n}")
    kind = TargetKind.DATABASE
    rpo = timedelta(hours=6)
    rto = timedelta(hours=4)
    drill_interval = timedelta(days=30)
    created_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))


class BackupPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BackupPolicy

    target = factory.SubFactory(BackupTargetFactory)
    name = factory.Sequence(lambda n: f"Policy {n}")
    method = Method.FULL
    interval = timedelta(days=1)
    retention_generations = 3
    storage_location = factory.SubFactory(StorageLocationFactory)
    encrypted = True


class BackupRunFactory(factory.django.DjangoModelFactory):
    """A run in any state: pass status=...; times are filled to match."""

    class Meta:
        model = BackupRun

    policy = factory.SubFactory(BackupPolicyFactory)
    target = factory.LazyAttribute(lambda o: o.policy.target)
    method = factory.LazyAttribute(lambda o: o.policy.method if o.policy else Method.FULL)
    origin = BackupRun.Origin.AGENT
    status = BackupRun.Status.SCHEDULED
    scheduled_for = None
    started_at = factory.LazyAttribute(
        lambda o: None if o.status == "scheduled" else timezone.now() - timedelta(hours=1)
    )
    finished_at = factory.LazyAttribute(
        lambda o: (
            o.started_at + timedelta(minutes=30)
            if o.status not in ("scheduled", "running")
            else None
        )
    )
    recovery_point = factory.LazyAttribute(lambda o: o.started_at if o.finished_at else None)
    size_bytes = factory.LazyAttribute(lambda o: 1024 if o.finished_at else None)
    checksum = factory.LazyAttribute(lambda o: "ab" * 32 if o.finished_at else "")


class RestoreTestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RestoreTest

    target = factory.SubFactory(BackupTargetFactory)
    planned_for = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
