"""The only writers of on-call data. Keyword-only; each locks the schedule row so that two
writers on one schedule queue up, checks permissions, records an audit event and defers
notifications until commit.

`actor=None` means the system itself (demo data, migrations); every door for people passes
the signed-in user.
"""

from .overrides import feed_rotate, override_cancel, override_create, take_over
from .schedules import (
    rotation_create,
    rotation_end,
    rotation_update,
    schedule_create,
    schedule_delete,
    schedule_rotate_token,
    schedule_update,
)

__all__ = [
    "feed_rotate",
    "override_cancel",
    "override_create",
    "rotation_create",
    "rotation_end",
    "rotation_update",
    "schedule_create",
    "schedule_delete",
    "schedule_rotate_token",
    "schedule_update",
    "take_over",
]
