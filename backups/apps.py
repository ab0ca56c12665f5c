"""Backups and recovery: policies with RPO/RTO, tracked runs, verification, restore tests."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

OPERATE = ["backups.report_backuprun", "backups.record_restoretest"]
CONFIGURE = [
    f"backups.{action}_{model}"
    for model in ("backuptarget", "backuppolicy", "storagelocation", "kinddefault", "policydefault")
    for action in ("add", "change", "delete", "view")
]


class BackupsConfig(AppConfig):
    name = "backups"
    verbose_name = _("Backups")

    def ready(self) -> None:
        from itsm import mywork, roles

        from . import mywork as backups_mywork

        # Administrators edit policies (DOMAIN.md); operators record runs and drills; the
        # ops manager may also end a retention early.
        roles.grant(roles.ADMINISTRATOR, *CONFIGURE, *OPERATE, "backups.expire_backuprun")
        roles.grant(roles.OPS_MANAGER, *OPERATE, "backups.expire_backuprun")
        roles.grant(roles.OPS_LEADER, *OPERATE)
        roles.grant(roles.ONCALL, *OPERATE)
        mywork.register(backups_mywork.provider)

    def seed_demo(self) -> None:
        from .demo import seed

        seed()
