"""Who reads the reports: managers, ops managers, executives and administrators."""

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from itsm import roles

VIEW = "reports.view_reports"
READER_ROLES = [roles.MANAGER, roles.OPS_MANAGER, roles.EXECUTIVE, roles.ADMINISTRATOR]


def can_read(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(VIEW))


def require_reader(user) -> None:
    if not can_read(user):
        raise PermissionDenied


class CanReadReports(BasePermission):
    def has_permission(self, request, view) -> bool:
        return can_read(request.user)
