from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate, post_save

        from incidents.models import Incident, Postmortem
        from itsm import roles
        from itsm.timers.models import Clock

        from . import db, facts
        from .permissions import READER_ROLES, VIEW

        for role in READER_ROLES:
            roles.grant(role, VIEW)
        db.connect()
        post_save.connect(facts.incident_saved, sender=Incident, dispatch_uid="reports-incident")
        post_save.connect(facts.clock_saved, sender=Clock, dispatch_uid="reports-clock")
        post_save.connect(facts.postmortem_saved, sender=Postmortem, dispatch_uid="reports-pm")
        post_delete.connect(
            facts.postmortem_saved, sender=Postmortem, dispatch_uid="reports-pm-gone"
        )
        post_migrate.connect(facts.fill_if_empty, sender=self, dispatch_uid="reports-fill")
