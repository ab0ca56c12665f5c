"""The nightly reconcile of the report facts, and its beat schedule.

Facts follow every committed save of an incident or clock within the same request; the
reconcile catches what no signal saw (rows written with raw SQL or QuerySet.update(), a
refresh that failed after its commit). It is idempotent and cheap to run twice.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from itsm.celery import app

log = logging.getLogger(__name__)


@shared_task(name="reports.reconcile_facts", acks_late=True, ignore_result=True)
def reconcile_facts() -> int:
    from .facts import rebuild

    written = rebuild()
    log.info("reports: reconciled %s incident facts", written)
    return written


@app.on_after_finalize.connect
def register_schedule(sender, **kwargs) -> None:
    every = float(getattr(settings, "REPORTS_RECONCILE_SECONDS", 24 * 3600))
    sender.add_periodic_task(every, reconcile_facts.s(), name="reports facts reconcile")


# Imported after the app finalized (autodiscovery runs late in some entry points): register now.
if app.finalized:
    register_schedule(app)
