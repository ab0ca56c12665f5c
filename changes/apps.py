from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    name = "changes"
    verbose_name = _("Changes")

    def ready(self) -> None:
        from itsm import mywork, roles

        from . import selectors

        everyone_who_files = [
            roles.REQUESTER, roles.ONCALL, roles.OPS_LEADER, roles.OPS_MANAGER,
            roles.CAB_MEMBER, roles.DEVELOPER, roles.ADMINISTRATOR,
        ]  # fmt: skip
        for role in everyone_who_files:
            roles.grant(role, "changes.add_change", "changes.propose_standardtemplate")
        for role in (roles.OPS_LEADER, roles.OPS_MANAGER):
            roles.grant(
                role, "changes.assess_change", "changes.schedule_change", "changes.review_change"
            )
        roles.grant(roles.OPS_MANAGER, "changes.manage_change", "changes.retire_standardtemplate")
        roles.grant(roles.ADMINISTRATOR, "changes.manage_change", "changes.retire_standardtemplate")
        for role in (roles.OPS_MANAGER, roles.CAB_MEMBER):
            roles.grant(
                role,
                "changes.approve_standardtemplate",
                "changes.add_cabmeeting",
                "changes.change_cabmeeting",
            )
        for role in (roles.OPS_MANAGER, roles.ADMINISTRATOR):
            for model in ("freezeperiod", "maintenancewindow"):
                roles.grant(
                    role, f"changes.add_{model}", f"changes.change_{model}",
                    f"changes.delete_{model}",
                )  # fmt: skip
        roles.grant(
            roles.ADMINISTRATOR,
            "changes.change_changeclasspolicy",
            "changes.view_changeclasspolicy",
        )
        mywork.register(selectors.my_work_sections)

    def seed_demo(self) -> None:
        """Demo changes, a standard template, a freeze period and a maintenance window."""
        from .demo import seed

        seed()
