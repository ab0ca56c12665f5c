from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MaintenanceConfig(AppConfig):
    name = "maintenance"
    verbose_name = _("Scheduled maintenance")

    def ready(self) -> None:
        from itsm import mywork, roles

        from . import selectors

        view = [
            "maintenance.view_maintenanceplan",
            "maintenance.view_maintenancejob",
            "maintenance.view_maintenancerun",
            "maintenance.view_jobrun",
            "maintenance.view_pendingupdate",
        ]
        manage_plans = [
            "maintenance.add_maintenanceplan",
            "maintenance.change_maintenanceplan",
            "maintenance.delete_maintenanceplan",
            "maintenance.run_maintenanceplan",
        ]
        register_updates = ["maintenance.add_pendingupdate"]
        manage_updates = ["maintenance.change_pendingupdate"]
        roles.grant(roles.ADMINISTRATOR, *view, *manage_plans, *register_updates, *manage_updates)
        roles.grant(roles.OPS_MANAGER, *view, *register_updates, *manage_updates)
        roles.grant(roles.OPS_LEADER, *view, *register_updates, *manage_updates)
        roles.grant(roles.ONCALL, *view, *register_updates)
        roles.grant(roles.DEVELOPER, *view, *register_updates)
        roles.grant(roles.MANAGER, *view)
        roles.grant(roles.CAB_MEMBER, *view)
        mywork.register(selectors.my_work)

    def seed_demo(self) -> None:
        from .demo import seed

        seed()
