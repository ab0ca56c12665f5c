"""The jobs a plan can run. Each takes a JobContext and returns a JobOutcome.

A job raises only for the unexpected: the runner records the traceback as a failure. A job
that found something wrong but did its part returns a "failed" or "warning" outcome with an
output that tells the administrator what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..models import JobKind

SUCCEEDED, WARNING, FAILED = "succeeded", "warning", "failed"


@dataclass
class JobContext:
    job_id: int | None
    kind: str
    name: str
    parameters: dict[str, Any]
    now: datetime
    run_id: int | None = None
    plan_id: int | None = None

    def param(self, name: str):
        spec = PARAMETERS.get(self.kind, {}).get(name)
        default = spec.default if spec else None
        return self.parameters.get(name, default)


@dataclass
class JobOutcome:
    status: str
    output: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Param:
    type: type
    default: Any
    minimum: int | None = None
    maximum: int | None = None
    help: str = ""


# Parameters each kind accepts, with defaults; unknown keys are refused so typos show.
PARAMETERS: dict[str, dict[str, Param]] = {
    JobKind.CLEAN_CACHE: {"clear_all": Param(bool, False, help="clear every key")},
    JobKind.CLEAN_TEMP_FILES: {"max_age_hours": Param(int, 24, 1, 24 * 365)},
    JobKind.ROTATE_LOGS: {
        "keep": Param(int, 7, 1, 365),
        "min_size_kb": Param(int, 0, 0, 10**7),
    },
    JobKind.OPTIMISE_DATABASE: {"vacuum": Param(bool, True)},
    JobKind.VERIFY_BACKUP: {"max_age_hours": Param(int, 30, 1, 24 * 365)},
    JobKind.CAPACITY_REPORT: {
        "disk_warning_percent": Param(int, 80, 1, 100),
        "disk_critical_percent": Param(int, 90, 1, 100),
        "database_warning_mb": Param(int, 0, 0, 10**7, help="0: no threshold"),
        "database_critical_mb": Param(int, 0, 0, 10**7, help="0: no threshold"),
    },
    JobKind.PENDING_UPDATES: {
        "notice_days": Param(int, 2, 0, 60),
        "horizon_days": Param(int, 90, 7, 366),
    },
    JobKind.STANDARD_CHANGE: {
        "title": Param(str, ""),
        "duration_minutes": Param(int, 0, 0, 24 * 60, help="0: the template's duration"),
    },
}


def validate_parameters(kind: str, parameters: Any) -> None:
    if not isinstance(parameters, dict):
        raise ValidationError({"parameters": _("Parameters must be a JSON object.")})
    specs = PARAMETERS.get(kind, {})
    errors = []
    for name, value in parameters.items():
        spec = specs.get(name)
        if spec is None:
            errors.append(_("Unknown parameter “%(name)s”.") % {"name": name})
            continue
        if spec.type is int and (isinstance(value, bool) or not isinstance(value, int)):
            errors.append(_("“%(name)s” must be a whole number.") % {"name": name})
        elif spec.type is not int and not isinstance(value, spec.type):
            errors.append(_("“%(name)s” has the wrong type.") % {"name": name})
        elif spec.type is int and (
            (spec.minimum is not None and value < spec.minimum)
            or (spec.maximum is not None and value > spec.maximum)
        ):
            errors.append(
                _("“%(name)s” must be between %(min)s and %(max)s.")
                % {"name": name, "min": spec.minimum, "max": spec.maximum}
            )
    if errors:
        raise ValidationError({"parameters": errors})


def _registry() -> dict[str, Callable[[JobContext], JobOutcome]]:
    from . import changes, database, housekeeping, reports

    return {
        JobKind.PURGE_SESSIONS: housekeeping.purge_sessions,
        JobKind.CLEAN_CACHE: housekeeping.clean_cache,
        JobKind.CLEAN_TEMP_FILES: housekeeping.clean_temp_files,
        JobKind.ROTATE_LOGS: housekeeping.rotate_logs,
        JobKind.OPTIMISE_DATABASE: database.optimise_database,
        JobKind.REBUILD_INDEXES: database.rebuild_indexes,
        JobKind.VERIFY_BACKUP: reports.verify_backup,
        JobKind.CAPACITY_REPORT: reports.capacity_report,
        JobKind.PENDING_UPDATES: changes.pending_updates,
        JobKind.STANDARD_CHANGE: changes.standard_change,
    }


def perform(context: JobContext) -> JobOutcome:
    return _registry()[context.kind](context)
