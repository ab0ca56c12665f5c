from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OncallConfig(AppConfig):
    name = "oncall"
    verbose_name = _("On call")

    def ready(self) -> None:
        from itsm import mywork, roles

        from .mywork import my_next_shifts

        editors = [
            "oncall.add_schedule",
            "oncall.change_schedule",
            "oncall.delete_schedule",
            "oncall.add_rotation",
            "oncall.change_rotation",
            "oncall.delete_rotation",
            "oncall.add_override",
            "oncall.change_override",
            "oncall.manage_overrides",
        ]
        for role in (roles.MANAGER, roles.ADMINISTRATOR):
            roles.grant(role, *editors)
        mywork.register(my_next_shifts)

    def seed_demo(self) -> None:
        """An on-call schedule for each demo team (run by `manage.py seed_demo`)."""
        from .demo import seed

        seed()
