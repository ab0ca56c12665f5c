"""/api/v1/ endpoints of the backups app. Thin: parse, call one service, serialize.

Transitions are POST /api/v1/backup-runs/{id}/<verb>/ and /restore-tests/{id}/<verb>/;
backup jobs report with POST /api/v1/backup-runs/report/ (idempotent by external_id).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from .. import selectors, services
from ..filters import DrillFilter, RunFilter, TargetFilter
from ..models import BackupPolicy, BackupRun, StorageLocation
from . import serializers as s

ERRORS = {
    400: OpenApiResponse(description="A business rule was broken"),
    403: OpenApiResponse(description="Not allowed for this user"),
    409: OpenApiResponse(description="Not allowed in the current state"),
}


class StorageLocationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Where backup copies are written; medium and off-site count in the 3-2-1 check."""

    queryset = StorageLocation.objects.order_by("name")
    serializer_class = s.StorageLocationSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["medium", "off_site", "is_active"]
    search_fields = ["name", "uri"]

    def perform_create(self, serializer):
        serializer.instance = services.location_save(
            actor=self.request.user, source="api", **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.location_save(
            actor=self.request.user,
            source="api",
            location_id=serializer.instance.pk,
            **serializer.validated_data,
        )


class BackupTargetViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Backup targets with their live compliance (computed in SQL) and 3-2-1 figures.
    Retire a target with is_active=false; targets with runs are never deleted."""

    serializer_class = s.BackupTargetSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = TargetFilter
    lookup_field = "slug"
    ordering_fields = ["name", "severity", "last_verified"]

    def get_queryset(self):
        return selectors.target_dashboard()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        target = services.target_create(actor=self.request.user, source="api", **data)
        serializer.instance = self.get_queryset().get(pk=target.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("storage_location", None)
        data.pop("with_default_policies", None)
        services.target_update(
            target_id=serializer.instance.pk, actor=self.request.user, source="api", **data
        )
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)


class BackupPolicyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Policies: method, schedule, retention, storage location, encryption. Deactivate with
    is_active=false."""

    queryset = BackupPolicy.objects.select_related("target", "storage_location").order_by("pk")
    serializer_class = s.BackupPolicySerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = {"target__slug": ["exact"], "method": ["exact"], "is_active": ["exact"]}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        target = data.pop("target")
        serializer.instance = services.policy_create(
            target_id=target.pk, actor=self.request.user, source="api", **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("target", None)  # a policy stays with its target
        serializer.instance = services.policy_update(
            policy_id=serializer.instance.pk, actor=self.request.user, source="api", **data
        )


def _run_action(name: str, input_serializer, service, *, summary: str):
    """A POST /backup-runs/{id}/<verb>/ endpoint that calls one service."""

    @extend_schema(
        summary=summary, request=input_serializer, responses={200: s.BackupRunSerializer, **ERRORS}
    )
    def view(self, request, pk=None):
        run = self.get_object()
        data = {}
        if input_serializer is not None:
            parsed = input_serializer(data=request.data)
            parsed.is_valid(raise_exception=True)
            data = {k: v for k, v in parsed.validated_data.items() if v not in (None, "")}
        run = service(run_id=run.pk, actor=request.user, source="api", **data)
        return Response(s.BackupRunSerializer(run).data)

    view.__name__ = name
    return view


@extend_schema_view(
    create=extend_schema(
        summary="Create a scheduled run by hand",
        request=s.RunCreateInput,
        responses={201: s.BackupRunSerializer, **ERRORS},
    ),
)
class BackupRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Backup runs. State changes only through the POST verbs below."""

    queryset = selectors.run_list()
    serializer_class = s.BackupRunSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = RunFilter
    ordering_fields = ["created_at", "finished_at", "recovery_point"]

    def create(self, request, *args, **kwargs):
        parsed = s.RunCreateInput(data=request.data)
        parsed.is_valid(raise_exception=True)
        data = parsed.validated_data
        run = services.run_create(
            target_id=data["target"].pk,
            actor=request.user,
            source="api",
            origin=BackupRun.Origin.MANUAL,
            policy_id=data.get("policy"),
            method=data.get("method"),
            scheduled_for=data.get("scheduled_for"),
        )
        return Response(s.BackupRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Report a run from a backup job (idempotent)",
        description="Creates the run the first time an external_id is seen for the target "
        "(filling the portal's scheduled slot of the policy when one is open), then moves it "
        "to the reported status. Retried or late reports change nothing (200); a report that "
        "contradicts the recorded run (another checksum, failed after succeeded) is 409.",
        request=s.RunReportInput,
        responses={201: s.RunReportedSerializer, 200: s.RunReportedSerializer, **ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="report")
    def report(self, request):
        parsed = s.RunReportInput(data=request.data)
        parsed.is_valid(raise_exception=True)
        data = dict(parsed.validated_data)
        data["policy_id"] = data.pop("policy", None)
        data = {k: v for k, v in data.items() if v is not None}
        run, created, changed = services.run_report(actor=request.user, source="api", **data)
        body = s.BackupRunSerializer(run).data | {"created": created, "changed": changed}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    start = action(detail=True, methods=["post"])(
        _run_action("start", s.StartInput, services.run_start, summary="The job started")
    )
    finish = action(detail=True, methods=["post"])(
        _run_action("finish", s.FinishInput, services.run_finish, summary="The job finished")
    )
    fail = action(detail=True, methods=["post"])(
        _run_action("fail", s.ReasonInput, services.run_fail, summary="The run failed")
    )
    verify = action(detail=True, methods=["post"])(
        _run_action("verify", s.NoteInput, services.run_verify, summary="Integrity verified")
    )
    fail_verification = action(detail=True, methods=["post"], url_path="fail-verification")(
        _run_action(
            "fail_verification",
            s.ReasonInput,
            services.run_fail_verification,
            summary="Verification failed",
        )
    )
    expire = action(detail=True, methods=["post"])(
        _run_action(
            "expire", s.OptionalReasonInput, services.run_expire, summary="End the retention"
        )
    )
    purge = action(detail=True, methods=["post"])(
        _run_action("purge", None, services.run_purge, summary="The copy was deleted")
    )


@extend_schema_view(
    create=extend_schema(
        summary="Plan a restore test",
        request=s.DrillPlanInput,
        responses={201: s.RestoreTestSerializer, **ERRORS},
    ),
)
class RestoreTestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Restore tests (drills): recovery time against the RTO, recovery point against the RPO."""

    queryset = selectors.drill_list()
    serializer_class = s.RestoreTestSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = DrillFilter
    ordering_fields = ["planned_for", "recorded_at"]

    def create(self, request, *args, **kwargs):
        parsed = s.DrillPlanInput(data=request.data)
        parsed.is_valid(raise_exception=True)
        data = dict(parsed.validated_data)
        target = data.pop("target")
        drill = services.drill_plan(target_id=target.pk, actor=request.user, source="api", **data)
        return Response(s.RestoreTestSerializer(drill).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record the result",
        request=s.DrillRecordInput,
        responses={200: s.RestoreTestSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        drill = self.get_object()
        parsed = s.DrillRecordInput(data=request.data)
        parsed.is_valid(raise_exception=True)
        data = dict(parsed.validated_data)
        data["run_id"] = data.pop("run", None)
        drill = services.drill_record(drill_id=drill.pk, actor=request.user, source="api", **data)
        return Response(s.RestoreTestSerializer(drill).data)

    @extend_schema(
        summary="Cancel a planned test",
        request=s.ReasonInput,
        responses={200: s.RestoreTestSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        drill = self.get_object()
        parsed = s.ReasonInput(data=request.data)
        parsed.is_valid(raise_exception=True)
        drill = services.drill_cancel(
            drill_id=drill.pk, actor=request.user, source="api", **parsed.validated_data
        )
        return Response(s.RestoreTestSerializer(drill).data)

    @extend_schema(
        summary="Assign a planned test",
        request=s.DrillAssignInput,
        responses={200: s.RestoreTestSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        drill = self.get_object()
        parsed = s.DrillAssignInput(data=request.data)
        parsed.is_valid(raise_exception=True)
        drill = services.drill_assign(
            drill_id=drill.pk, actor=request.user, source="api", **parsed.validated_data
        )
        return Response(s.RestoreTestSerializer(drill).data)
