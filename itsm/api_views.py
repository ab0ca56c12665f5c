from django.db.models import Prefetch
from rest_framework import generics, permissions, viewsets
from rest_framework.permissions import DjangoModelPermissionsOrAnonReadOnly

from .models import AuditEvent, Service, Team
from .serializers import AuditEventSerializer, MeSerializer, ServiceSerializer, TeamSerializer


class ReadAllWriteWithPermission(DjangoModelPermissionsOrAnonReadOnly):
    """Every signed-in user reads the catalogue; writes need the model permission."""

    authenticated_users_only = True


class CanViewAudit(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.is_authenticated and request.user.has_perm("itsm.view_auditevent")


class TeamViewSet(viewsets.ModelViewSet):
    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    permission_classes = [ReadAllWriteWithPermission]
    lookup_field = "slug"
    filterset_fields = ["slug"]
    search_fields = ["name"]


class ServiceViewSet(viewsets.ModelViewSet):
    queryset = Service.objects.select_related("owner_team").prefetch_related(
        Prefetch("depends_on", queryset=Service.objects.only("id", "slug"))
    )
    serializer_class = ServiceSerializer
    permission_classes = [ReadAllWriteWithPermission]
    lookup_field = "slug"
    filterset_fields = ["owner_team__slug", "criticality", "hours", "is_active"]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "criticality"]


class MeView(generics.RetrieveUpdateAPIView):
    serializer_class = MeSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_object(self):
        return self.request.user


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail, read-only; managers and administrators only."""

    queryset = AuditEvent.objects.select_related("actor", "content_type").order_by("-at", "-pk")
    serializer_class = AuditEventSerializer
    permission_classes = [CanViewAudit]
    filterset_fields = ["source", "action", "object_id", "content_type__model"]
