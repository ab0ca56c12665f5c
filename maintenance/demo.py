"""Demo data for `manage.py seed_demo`: a few pending updates, and every plan armed."""

from itsm.audit import Source
from itsm.models import Service

from .models import PendingUpdate, UpdateKind, UpdateSeverity

UPDATES = [
    ("OpenSSL", "3.0.15", UpdateKind.SECURITY, UpdateSeverity.HIGH, "CVE-2024-5535",
     ["payments-api", "web-shop"]),
    ("PostgreSQL", "16.4", UpdateKind.BUGFIX, UpdateSeverity.MEDIUM, "", ["customer-db"]),
    ("Wiki engine", "2.0", UpdateKind.MAJOR, UpdateSeverity.LOW, "", ["wiki"]),
]  # fmt: skip


def seed() -> None:
    from .services import plans_ensure_armed, update_register

    for component, version, kind, severity, advisory, slugs in UPDATES:
        if PendingUpdate.objects.filter(component=component, version=version).exists():
            continue
        update_register(
            actor=None,
            source=Source.SYSTEM,
            services=list(Service.objects.filter(slug__in=slugs)),
            component=component,
            version=version,
            kind=kind,
            severity=severity,
            advisory=advisory,
        )
    _wire_security_patches()
    plans_ensure_armed()


def _wire_security_patches() -> None:
    """Point the monthly security-patch job at the changes app's demo template."""
    from changes.models import StandardTemplate

    from .models import JobKind, MaintenanceJob
    from .services import job_update

    template = StandardTemplate.objects.filter(
        name="Monthly OS security patch", status=StandardTemplate.Status.APPROVED
    ).first()
    job = MaintenanceJob.objects.filter(
        plan__name="Monthly review", kind=JobKind.STANDARD_CHANGE, change_template=None
    ).first()
    if template and job:
        job_update(
            job_id=job.pk,
            actor=None,
            source=Source.SYSTEM,
            change_template=template,
            is_active=True,
            services=list(template.services.all()),
        )
