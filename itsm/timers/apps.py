from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class TimersConfig(AppConfig):
    name = "itsm.timers"
    label = "timers"
    verbose_name = _("Timers")

    def ready(self) -> None:
        from itsm import roles

        # Administrators watch the sweeper and retry failed timers.
        roles.grant(roles.ADMINISTRATOR, "timers.view_timer", "timers.change_timer")
        # Each app declares its handlers in <app>/timer_handlers.py.
        autodiscover_modules("timer_handlers")
