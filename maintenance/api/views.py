"""API: thin viewsets. Reads come from selectors; every write is one service call."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from itsm.audit import Source

from .. import selectors, services
from ..filters import PlanFilter, RunFilter, UpdateFilter
from ..models import MaintenanceJob
from .serializers import (
    MaintenanceJobSerializer,
    MaintenanceNoteSerializer,
    MaintenancePlanSerializer,
    MaintenanceRunDetailSerializer,
    MaintenanceRunSerializer,
    PendingUpdateSerializer,
)

API = Source.API


class CanView(permissions.BasePermission):
    """Reading needs the model's view permission; writes are checked by the services."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return user.has_perm(view.view_permission)
        return True


class PlanViewSet(viewsets.ModelViewSet):
    """Maintenance plans: cron schedule, time zone, jobs, next run. Editing re-arms the
    plan's timer at once."""

    serializer_class = MaintenancePlanSerializer
    permission_classes = [CanView]
    view_permission = "maintenance.view_maintenanceplan"
    filterset_class = PlanFilter
    ordering_fields = ["name", "next_run_at"]
    search_fields = ["name"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.plans().prefetch_related("jobs__services", "jobs__owner_team")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        plan = services.plan_create(actor=self.request.user, source=API, **data)
        serializer.instance = self.get_queryset().get(pk=plan.pk)  # with its job counts

    def perform_update(self, serializer):
        plan = services.plan_update(
            plan_id=serializer.instance.pk,
            actor=self.request.user,
            source=API,
            **serializer.validated_data,
        )
        serializer.instance = self.get_queryset().get(pk=plan.pk)  # with its job counts

    def perform_destroy(self, instance):
        services.plan_delete(plan_id=instance.pk, actor=self.request.user, source=API)

    def _plan(self, request, pk):
        return Response(MaintenancePlanSerializer(selectors.plans().get(pk=pk)).data)

    @extend_schema(request=None, responses={202: MaintenanceRunSerializer})
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        """Queue a run now; 409 while another run of the plan is queued or running."""
        self.get_object()
        run = services.plan_run_now(plan_id=int(pk), actor=request.user, source=API)
        return Response(
            MaintenanceRunSerializer(selectors.runs().get(pk=run.pk)).data,
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(request=None, responses=MaintenancePlanSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Stop running on schedule (the timer is cancelled)."""
        self.get_object()
        services.plan_set_active(plan_id=int(pk), actor=request.user, source=API, active=False)
        return self._plan(request, pk)

    @extend_schema(request=None, responses=MaintenancePlanSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Run on schedule again, from the next occurrence."""
        self.get_object()
        services.plan_set_active(plan_id=int(pk), actor=request.user, source=API, active=True)
        return self._plan(request, pk)


class JobViewSet(viewsets.ModelViewSet):
    """The jobs of the plans; `parameters` tune built-in jobs."""

    serializer_class = MaintenanceJobSerializer
    permission_classes = [CanView]
    view_permission = "maintenance.view_maintenancejob"
    filterset_fields = ["plan", "kind", "is_active"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return MaintenanceJob.objects.select_related("owner_team").prefetch_related("services")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        plan = data.pop("plan")
        serializer.instance = services.job_add(
            plan_id=plan.pk, actor=self.request.user, source=API, **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("plan", None)
        serializer.instance = services.job_update(
            job_id=serializer.instance.pk, actor=self.request.user, source=API, **data
        )

    def perform_destroy(self, instance):
        services.job_delete(job_id=instance.pk, actor=self.request.user, source=API)


@extend_schema_view(retrieve=extend_schema(responses=MaintenanceRunDetailSerializer))
class RunViewSet(viewsets.ReadOnlyModelViewSet):
    """Recorded runs: when due, started, finished, result, duration, each job's output."""

    permission_classes = [CanView]
    view_permission = "maintenance.view_maintenancerun"
    filterset_class = RunFilter
    lookup_value_regex = "[0-9]+"  # its serializer is chosen per action: the router cannot tell
    ordering = ["-scheduled_for", "-id"]

    def get_queryset(self):
        queryset = selectors.runs()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("job_runs")
        return queryset.order_by("-scheduled_for", "-pk")

    def get_serializer_class(self):
        return (
            MaintenanceRunDetailSerializer
            if self.action == "retrieve"
            else MaintenanceRunSerializer
        )


class PendingUpdateViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Vendors' updates waiting to be applied. Register with POST; the weekly job (or the
    `schedule` action) analyses each and schedules it as a change into a window."""

    serializer_class = PendingUpdateSerializer
    permission_classes = [CanView]
    view_permission = "maintenance.view_pendingupdate"
    filterset_class = UpdateFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.updates().order_by("severity", "registered_at", "pk")

    def perform_create(self, serializer):
        serializer.instance = services.update_register(
            actor=self.request.user, source=API, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_edit(
            update_id=serializer.instance.pk,
            actor=self.request.user,
            source=API,
            **serializer.validated_data,
        )

    def _respond(self, pk):
        return Response(PendingUpdateSerializer(selectors.updates().get(pk=pk)).data)

    @extend_schema(request=None, responses=PendingUpdateSerializer)
    @action(detail=True, methods=["post"])
    def analyse(self, request, pk=None):
        """Work out affected services and a change class."""
        self.get_object()
        services.update_analyse(update_id=int(pk), actor=request.user, source=API)
        return self._respond(pk)

    @extend_schema(request=None, responses=PendingUpdateSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        """Analyse and schedule into the next suitable maintenance window now."""
        self.get_object()
        services.update_schedule_now(update_id=int(pk), actor=request.user, source=API)
        return self._respond(pk)

    @extend_schema(request=MaintenanceNoteSerializer, responses=PendingUpdateSerializer)
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """The change that carried the update was implemented."""
        self.get_object()
        note = MaintenanceNoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        services.update_mark_applied(
            update_id=int(pk), actor=request.user, source=API, note=note.validated_data["note"]
        )
        return self._respond(pk)

    @extend_schema(request=MaintenanceNoteSerializer, responses=PendingUpdateSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """Not needed; say why in `note`."""
        self.get_object()
        note = MaintenanceNoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        services.update_dismiss(
            update_id=int(pk), actor=request.user, source=API, note=note.validated_data["note"]
        )
        return self._respond(pk)
