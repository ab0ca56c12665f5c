from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ItsmConfig(AppConfig):
    name = "itsm"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from . import metrics, pagecache, roles

        post_migrate.connect(roles.sync_role_permissions, dispatch_uid="itsm-role-permissions")
        metrics.register()
        pagecache.install()
