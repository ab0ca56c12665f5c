"""Signals sent by clocks, inside the transaction that records the fact, exactly once each.

Receivers record their own audit event and queue notifications with
`transaction.on_commit`, so nothing leaves the process unless the fact is committed:

    @receiver(clock_breached, sender=Clock)
    def incident_sla_breached(sender, *, clock, at, **kwargs):
        if clock.content_type.model_class() is Incident:
            ...
"""

from django.dispatch import Signal

# kwargs: clock (Clock), fraction (float, e.g. 0.75), at (datetime the fraction was reached)
clock_warned = Signal()
# kwargs: clock (Clock), at (datetime the target was reached)
clock_breached = Signal()
