"""Roles of DOMAIN.md as Django groups. Created by a data migration; apps add permissions."""

from django.utils.translation import gettext_lazy as _

REQUESTER = "requester"
ONCALL = "oncall"
OPS_LEADER = "ops_leader"
OPS_MANAGER = "ops_manager"
CAB_MEMBER = "cab_member"
DEVELOPER = "developer"
EXECUTIVE = "executive"
MANAGER = "manager"
ADMINISTRATOR = "administrator"

ROLES = {
    REQUESTER: _("Requester / operator"),
    ONCALL: _("On-call engineer (L1)"),
    OPS_LEADER: _("Ops leader (L2)"),
    OPS_MANAGER: _("Ops manager (L3)"),
    CAB_MEMBER: _("CAB member"),
    DEVELOPER: _("Developer team (L4)"),
    EXECUTIVE: _("Executive (L5)"),
    MANAGER: _("Manager"),
    ADMINISTRATOR: _("Administrator"),
}

# Every role may file tickets; these kernel permissions are granted per role by migration.
KERNEL_PERMISSIONS = {
    ADMINISTRATOR: [
        "itsm.add_team", "itsm.change_team", "itsm.delete_team",
        "itsm.add_service", "itsm.change_service", "itsm.delete_service",
        "itsm.add_businesscalendar", "itsm.change_businesscalendar",
        "itsm.add_closedday", "itsm.change_closedday", "itsm.delete_closedday",
        "itsm.add_user", "itsm.change_user", "itsm.view_user",
        "itsm.view_auditevent",
    ],
    MANAGER: ["itsm.view_auditevent"],
}  # fmt: skip


def role_label(name: str) -> str:
    return str(ROLES.get(name, name))


# Apps add their own role → permission codenames ("app_label.codename") in AppConfig.ready;
# a post_migrate handler grants them, so a fresh database and an upgraded one end up equal.
_role_permissions: dict[str, set[str]] = {
    role: set(perms) for role, perms in KERNEL_PERMISSIONS.items()
}


def grant(role: str, *permissions: str) -> None:
    _role_permissions.setdefault(role, set()).update(permissions)


def _ensure_role_groups(using: str) -> dict:
    """The role groups, recreated with their original ids when missing.

    Stable ids (1..9, the order the first migration created them in) keep a database flushed
    and re-seeded by the test runner, or restored from a dump, consistent with one that was
    never flushed: a serialized copy of the groups lands on the same rows.
    """
    from django.contrib.auth.models import Group
    from django.core.management.color import no_style
    from django.db import connections

    existing = {g.name: g for g in Group.objects.using(using).filter(name__in=ROLES)}
    taken = set(Group.objects.using(using).values_list("pk", flat=True))
    created = False
    for number, role in enumerate(ROLES, start=1):
        if role not in existing:
            pk = number if number not in taken else None
            existing[role] = Group.objects.using(using).create(pk=pk, name=role)
            created = True
    if created:
        connection = connections[using]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Group]):
                cursor.execute(sql)
    return existing


def sync_role_permissions(using: str = "default", **kwargs) -> None:
    from django.contrib.auth.models import Permission

    groups = _ensure_role_groups(using)
    for role in ROLES:
        group = groups[role]
        wanted = _role_permissions.get(role, set())
        perms = []
        for dotted in wanted:
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                perms.append(perm)
        group.permissions.add(*perms)
