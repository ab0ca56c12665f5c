from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from itsm import roles

        from . import permissions, signals  # noqa: F401 - connects the audit-event receiver

        for role, names in permissions.ROLE_PERMISSIONS.items():
            roles.grant(role, *names)
