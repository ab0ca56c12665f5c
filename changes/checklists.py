"""The default pre-check and verification checklists of DOMAIN.md (seed 000 §3.1, §4.1).

Items are stored with a code so that each reader sees them in their own language.
"""

from django.utils.translation import gettext_lazy as _

CATEGORIES = {
    "system": _("System state"),
    "backup": _("Backup state"),
    "resources": _("Resources and dependencies"),
    "functional": _("Functional"),
    "performance": _("Performance"),
    "security": _("Security"),
    "other": _("Other"),
}

PRECHECKS = [
    ("system", "system.usage", _("CPU, memory and disk usage are normal")),
    ("system", "system.processes", _("Processes are running normally")),
    ("system", "system.network", _("Network is healthy")),
    ("backup", "backup.latest", _("The latest backup is present")),
    ("backup", "backup.restore_tested", _("Restore has been tested")),
    ("backup", "backup.storage", _("Enough backup storage space")),
    ("resources", "resources.available", _("Required resources are available")),
    ("resources", "resources.space", _("Free space is secured")),
    ("resources", "resources.dependencies", _("Dependencies are verified")),
]

VERIFICATIONS = [
    ("functional", "functional.api", _("APIs work as expected")),
    ("functional", "functional.data", _("Data is processed correctly")),
    ("functional", "functional.permissions", _("Permissions are correct")),
    ("performance", "performance.response_time", _("Response time is within the SLO")),
    ("performance", "performance.throughput", _("Throughput is as expected")),
    ("performance", "performance.resources", _("Resource usage is normal")),
    ("security", "security.vulnerabilities", _("No new vulnerabilities")),
    ("security", "security.access_control", _("Access control is intact")),
    ("security", "security.audit_log", _("The audit log records activity")),
]

_LABELS = {code: label for _cat, code, label in PRECHECKS + VERIFICATIONS}


def label_for(code: str) -> str | None:
    label = _LABELS.get(code)
    return str(label) if label is not None else None


def category_label(category: str) -> str:
    return str(CATEGORIES.get(category, category))


def default_items(change) -> list:
    """Unsaved checklist rows for a new change."""
    from .models import ChecklistItem

    rows = []
    for kind, items in (
        (ChecklistItem.Kind.PRECHECK, PRECHECKS),
        (ChecklistItem.Kind.VERIFICATION, VERIFICATIONS),
    ):
        for position, (category, code, label) in enumerate(items):
            rows.append(
                ChecklistItem(
                    change=change,
                    kind=kind,
                    category=category,
                    code=code,
                    label=str(label),
                    position=position,
                )
            )
    return rows
