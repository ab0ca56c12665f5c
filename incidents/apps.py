from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self) -> None:
        from itsm import mywork, roles
        from itsm.timers.registry import register_clock_labels

        from . import permissions, signals  # noqa: F401 - connects the clock receivers
        from .mywork import my_incident_work
        from .sla import CLOCK_LABELS

        for role, names in permissions.ROLE_PERMISSIONS.items():
            roles.grant(role, *names)
        mywork.register(my_incident_work)
        register_clock_labels(CLOCK_LABELS)

    def seed_demo(self) -> None:
        """A few demo incidents in different states (safe to run twice)."""
        from .demo import seed

        seed()
