"""Timer handlers of the integrations app: thin, the services hold the logic."""

from itsm.timers.registry import timer_handler

from .services.retention import PURGE_KIND, payloads_purge
from .services.webhooks import RETRY_KIND, delivery_retry_due


@timer_handler(RETRY_KIND)
def retry_webhook(timer, *, now) -> None:
    delivery_retry_due(timer, now=now)


@timer_handler(PURGE_KIND)
def purge_payloads(timer, *, now) -> None:
    payloads_purge(integration_id=int(timer.object_id))
