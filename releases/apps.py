"""Releases workflow: development → test → staging → canary → production, fed by CI/CD."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReleasesConfig(AppConfig):
    name = "releases"
    verbose_name = _("Releases")

    def ready(self) -> None:
        from itsm import mywork, roles

        from . import permissions as p
        from .selectors import my_work_sections

        everyone = [roles.REQUESTER, roles.ONCALL, roles.OPS_LEADER, roles.OPS_MANAGER,
                    roles.CAB_MEMBER, roles.DEVELOPER, roles.EXECUTIVE, roles.MANAGER,
                    roles.ADMINISTRATOR]  # fmt: skip
        for role in everyone:
            roles.grant(role, p.VIEW)
        roles.grant(roles.ONCALL, p.ROLLBACK, p.LINK_INCIDENT)
        roles.grant(
            roles.DEVELOPER,
            p.ADD, p.CHANGE, p.PROMOTE, p.FAIL, p.ROLLBACK, p.REPORT, p.LINK_INCIDENT,
        )  # fmt: skip
        for role in (roles.OPS_LEADER, roles.OPS_MANAGER):
            roles.grant(
                role,
                p.ADD, p.CHANGE, p.PROMOTE, p.PROMOTE_PRODUCTION, p.FAIL, p.ROLLBACK, p.CANCEL,
                p.LINK_INCIDENT,
            )  # fmt: skip
        roles.grant(
            roles.ADMINISTRATOR,
            p.ADD, p.CHANGE, p.DELETE, p.PROMOTE, p.PROMOTE_PRODUCTION, p.FAIL, p.ROLLBACK,
            p.CANCEL, p.REPORT, p.LINK_INCIDENT,
            "releases.change_releasekindpolicy", "releases.view_releasekindpolicy",
        )  # fmt: skip
        mywork.register(my_work_sections)

    def seed_demo(self) -> None:
        """Demo releases: a finished history for the DORA page and some in flight."""
        from .demo import seed

        seed()
