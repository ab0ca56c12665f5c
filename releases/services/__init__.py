"""The only writers of the releases app. Every function is keyword-only and atomic."""

from .pipeline import (
    ReportOutcome,
    build_report,
    deployment_report,
    test_result_report,
)
from .release import (
    TRANSITIONS,
    release_cancel,
    release_complete,
    release_create,
    release_delete,
    release_fail_staging,
    release_fail_test,
    release_promote_to_production,
    release_promote_to_staging,
    release_rollback,
    release_start_canary,
    release_start_testing,
    release_transition,
    release_update,
)

__all__ = [
    "TRANSITIONS",
    "ReportOutcome",
    "build_report",
    "deployment_report",
    "release_cancel",
    "release_complete",
    "release_create",
    "release_delete",
    "release_fail_staging",
    "release_fail_test",
    "release_promote_to_production",
    "release_promote_to_staging",
    "release_rollback",
    "release_start_canary",
    "release_start_testing",
    "release_transition",
    "release_update",
    "test_result_report",
]

from .links import deployment_link_incident, deployment_unlink_incident  # noqa: E402

__all__ += ["deployment_link_incident", "deployment_unlink_incident"]
