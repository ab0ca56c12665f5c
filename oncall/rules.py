"""Who may do what with on-call schedules; services enforce it, pages use it to show buttons.

Managers and administrators (through their role permissions) and the lead of the schedule's
team edit schedules and create overrides for other people; every team member may take a
shift themselves; everyone signed in reads.
"""

from __future__ import annotations

from itsm.models import Membership, Team


def is_member(user, team: Team) -> bool:
    return Membership.objects.filter(team=team, user=user).exists()


def is_lead(user, team: Team) -> bool:
    return Membership.objects.filter(team=team, user=user, is_lead=True).exists()


def can_create_schedule(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("oncall.add_schedule"))


def can_edit_schedule(user, team: Team) -> bool:
    if not (user and user.is_authenticated):
        return False
    return user.has_perm("oncall.change_schedule") or is_lead(user, team)


def can_manage_overrides(user, team: Team) -> bool:
    """May create overrides and swaps for other people and cancel anyone's."""
    if not (user and user.is_authenticated):
        return False
    return user.has_perm("oncall.manage_overrides") or is_lead(user, team)


def can_take_shifts(user, team: Team) -> bool:
    """May put themselves on call for this team ("I'll take it")."""
    if not (user and user.is_authenticated):
        return False
    return is_member(user, team) or can_manage_overrides(user, team)
