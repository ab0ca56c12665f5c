from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, viewsets
from rest_framework.permissions import DjangoModelPermissionsOrAnonReadOnly
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from . import catalogue
from .audit import Source
from .models import AuditEvent, Service, Team
from .serializers import AuditEventSerializer, MeSerializer, ServiceSerializer, TeamSerializer


class ReadAllWriteWithPermission(DjangoModelPermissionsOrAnonReadOnly):
    """Every signed-in user reads the catalogue; writes need the model permission."""

    authenticated_users_only = True


class CanViewAudit(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.is_authenticated and request.user.has_perm("itsm.view_auditevent")


class _CatalogueWrites:
    """Writes go through itsm.catalogue (permission, audit event), not serializer.save()."""

    def perform_create(self, serializer):
        serializer.instance = self._save(None, serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self._save(serializer.instance, serializer.validated_data)

    def perform_destroy(self, instance):
        catalogue.catalogue_delete(obj=instance, actor=self.request.user, source=Source.API)


class TeamViewSet(_CatalogueWrites, viewsets.ModelViewSet):
    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    permission_classes = [ReadAllWriteWithPermission]
    lookup_field = "slug"
    filterset_fields = ["slug"]
    search_fields = ["name"]

    def _save(self, team, data):
        return catalogue.team_save(team=team, actor=self.request.user, source=Source.API, **data)


class ServiceViewSet(_CatalogueWrites, viewsets.ModelViewSet):
    queryset = Service.objects.select_related("owner_team").prefetch_related(
        Prefetch("depends_on", queryset=Service.objects.only("id", "slug"))
    )
    serializer_class = ServiceSerializer
    permission_classes = [ReadAllWriteWithPermission]
    lookup_field = "slug"
    filterset_fields = ["owner_team__slug", "criticality", "hours", "is_active"]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "criticality"]

    def _save(self, service, data):
        return catalogue.service_save(
            service=service, actor=self.request.user, source=Source.API, **data
        )


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


@extend_schema(exclude=True)
class ApiRootView(APIView):
    """GET /api/v1/: where the API's documentation, schema and caller are."""

    def get(self, request):
        return Response(
            {
                name: reverse(route, request=request)
                for name, route in (("docs", "api-docs"), ("schema", "schema"), ("me", "api-me"))
            }
        )
