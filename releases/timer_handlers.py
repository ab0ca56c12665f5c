"""Timers of the releases app: the end of a canary's observation window."""

from django.db import transaction

from itsm.audit import record_event
from itsm.timers.registry import timer_handler

from .models import Release, Stage
from .tasks import notify_release


@timer_handler("releases.canary_window")
def canary_window_elapsed(timer, *, now) -> None:
    """Record that the canary ran its observation time; the production gate may open now.

    Re-checks the release: a canary that was rolled back or promoted meanwhile needs no note.
    Idempotent: the event is recorded once per canary deployment.
    """
    release = Release.objects.select_for_update().filter(pk=timer.object_id).first()
    if release is None or release.stage != Stage.CANARY:
        return
    deployment_id = (timer.payload or {}).get("deployment")
    from itsm.models import AuditEvent

    already = AuditEvent.objects.for_object(release).filter(
        action="canary window elapsed", payload__deployment=deployment_id
    )
    if already.exists():
        return
    record_event(
        release,
        action="canary window elapsed",
        source="timer",
        before=release.stage,
        after=release.stage,
        payload={"deployment": deployment_id},
    )
    transaction.on_commit(lambda: notify_release.delay(release.pk, "canary_window"))
