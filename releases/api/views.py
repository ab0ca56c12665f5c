"""The releases API: CRUD, one POST per transition, and the CI/CD report endpoints.

CI/CD authenticates with a token (`Authorization: Token …`) of an account that holds
releases.report_pipeline (see `manage.py releases_ci_account`). Reports are idempotent: the
same pipeline run reported again answers 200 with the row it already made (201 the first time).
"""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from changes.models import Change
from incidents.models import Incident
from itsm.audit import Source
from itsm.serializers import AuditEventSerializer

from .. import dora, links, selectors, services
from ..filters import DeploymentFilter, ReleaseFilter
from ..models import Build, Deployment, Release, TestRun
from ..notes import notes_markdown
from .serializers import (
    BuildSerializer,
    DeploymentSerializer,
    DoraRowSerializer,
    IncidentLinkSerializer,
    ReasonSerializer,
    ReleaseDetailSerializer,
    ReleaseSerializer,
    TestRunSerializer,
)

GATE_NOTE = (
    " A gate that is not met answers 409 with code `gate_not_met` and a message naming the gate;"
    " the wrong stage answers 409 `transition_not_allowed`; a missing permission 403."
)


def _transition_schema(verb: str, summary: str):
    return extend_schema(
        summary=summary,
        description=summary + "." + GATE_NOTE,
        request=ReasonSerializer,
        responses={200: ReleaseDetailSerializer},
        tags=["releases"],
    )


class ReleaseViewSet(viewsets.ModelViewSet):
    """Releases. The stage changes only through the transition endpoints."""

    queryset = selectors.release_list()
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReleaseFilter

    def get_queryset(self):
        return selectors.release_list().prefetch_related(
            "items",
            Prefetch("changes", queryset=Change.objects.only("id", "status")),  # status: FSM mixin
            Prefetch("incidents_fixed", queryset=Incident.objects.only("id")),
        )

    def get_serializer_class(self):
        if self.action in ("list", "create", "update", "partial_update"):
            return ReleaseSerializer
        return ReleaseDetailSerializer

    def _detail(self, pk: int) -> Response:
        release = self.get_queryset().get(pk=pk)
        return Response(
            ReleaseDetailSerializer(release, context=self.get_serializer_context()).data
        )

    @extend_schema(responses={201: ReleaseDetailSerializer}, tags=["releases"])
    def create(self, request, *args, **kwargs):
        serializer = ReleaseSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        release = services.release_create(
            actor=request.user, source=Source.API, **serializer.service_kwargs()
        )
        response = self._detail(release.pk)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(responses={200: ReleaseDetailSerializer}, tags=["releases"])
    def update(self, request, *args, partial=False, **kwargs):
        release = self.get_object()
        serializer = ReleaseSerializer(
            release, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        services.release_update(
            release_id=release.pk,
            actor=request.user,
            source=Source.API,
            **serializer.service_kwargs(),
        )
        return self._detail(release.pk)

    @extend_schema(responses={200: ReleaseDetailSerializer}, tags=["releases"])
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(responses={204: None}, tags=["releases"])
    def destroy(self, request, *args, **kwargs):
        release = self.get_object()
        services.release_delete(release_id=release.pk, actor=request.user, source=Source.API)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- transitions: POST /api/v1/releases/{id}/<verb>/ -----------------------------------
    def _transition(self, request, pk, verb: str) -> Response:
        release = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.release_transition(
            release_id=release.pk,
            verb=verb,
            actor=request.user,
            source=Source.API,
            reason=body.validated_data["reason"],
        )
        return self._detail(release.pk)

    @_transition_schema("start_testing", "Development → test (gate: a successful build)")
    @action(detail=True, methods=["post"], url_path="start-testing")
    def start_testing(self, request, pk=None):
        return self._transition(request, pk, "start_testing")

    @_transition_schema("fail_test", "Test failed → development (reason required)")
    @action(detail=True, methods=["post"], url_path="fail-test")
    def fail_test(self, request, pk=None):
        return self._transition(request, pk, "fail_test")

    @_transition_schema("promote_to_staging", "Test → staging (gates: deployed and green in test)")
    @action(detail=True, methods=["post"], url_path="promote-to-staging")
    def promote_to_staging(self, request, pk=None):
        return self._transition(request, pk, "promote_to_staging")

    @_transition_schema("fail_staging", "Staging failed → development (reason required)")
    @action(detail=True, methods=["post"], url_path="fail-staging")
    def fail_staging(self, request, pk=None):
        return self._transition(request, pk, "fail_staging")

    @_transition_schema("start_canary", "Staging → canary (canary strategy; staging green)")
    @action(detail=True, methods=["post"], url_path="start-canary")
    def start_canary(self, request, pk=None):
        return self._transition(request, pk, "start_canary")

    @_transition_schema(
        "promote_to_production",
        "Staging or canary → production (gates: previous stage green, an approved change "
        "covering the release; a hotfix needs an emergency change)",
    )
    @action(detail=True, methods=["post"], url_path="promote-to-production")
    def promote_to_production(self, request, pk=None):
        return self._transition(request, pk, "promote_to_production")

    @_transition_schema("rollback", "Canary or production failed → rolled back (reason required)")
    @action(detail=True, methods=["post"], url_path="rollback")
    def rollback(self, request, pk=None):
        return self._transition(request, pk, "rollback")

    @_transition_schema("complete", "Production → done (gate: a successful production deployment)")
    @action(detail=True, methods=["post"], url_path="complete")
    def complete(self, request, pk=None):
        return self._transition(request, pk, "complete")

    @_transition_schema("cancel", "Development, test or staging → cancelled (reason required)")
    @action(detail=True, methods=["post"], url_path="cancel")
    def cancel(self, request, pk=None):
        return self._transition(request, pk, "cancel")

    # --- CI/CD reports ---------------------------------------------------------------------
    def _report(self, request, pk, serializer_class, service, queryset):
        release = get_object_or_404(Release, pk=pk)
        if request.method == "GET":
            page = self.paginate_queryset(queryset.filter(release=release))
            return self.get_paginated_response(serializer_class(page, many=True).data)
        body = serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        data = {k: v for k, v in body.validated_data.items() if k != "release"}
        outcome = service(release_id=release.pk, actor=request.user, source=Source.API, **data)
        report = queryset.get(pk=outcome.report.pk)
        return Response(
            serializer_class(report).data,
            status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        )

    @extend_schema(
        methods=["POST"],
        summary="Report a deployment (idempotent per pipeline run and environment)",
        description="201 for a new run, 200 when the run was reported before (the same row). "
        "New runs are accepted only for the environment of the release's current stage "
        "(409 `wrong_stage`); a contradicting result for a finished run is 409 "
        "`result_conflict`. A failed deployment in the current stage moves the release: "
        "test and staging back to development, canary and production roll back.",
        request=DeploymentSerializer,
        responses={201: DeploymentSerializer, 200: DeploymentSerializer},
        tags=["ci-cd"],
    )
    @extend_schema(methods=["GET"], responses=DeploymentSerializer(many=True), tags=["ci-cd"])
    @action(detail=True, methods=["get", "post"], url_path="deployments")
    def deployments(self, request, pk=None):
        queryset = Deployment.objects.select_related("release", "reported_by").prefetch_related(
            "incident_links"
        )
        return self._report(request, pk, DeploymentSerializer, services.deployment_report, queryset)

    @extend_schema(
        methods=["POST"],
        summary="Report a build (idempotent per pipeline run)",
        request=BuildSerializer,
        responses={201: BuildSerializer, 200: BuildSerializer},
        tags=["ci-cd"],
    )
    @extend_schema(methods=["GET"], responses=BuildSerializer(many=True), tags=["ci-cd"])
    @action(detail=True, methods=["get", "post"], url_path="builds")
    def builds(self, request, pk=None):
        queryset = Build.objects.select_related("reported_by")
        return self._report(request, pk, BuildSerializer, services.build_report, queryset)

    @extend_schema(
        methods=["POST"],
        summary="Report a test suite's result (idempotent per run, environment and suite)",
        request=TestRunSerializer,
        responses={201: TestRunSerializer, 200: TestRunSerializer},
        tags=["ci-cd"],
    )
    @extend_schema(methods=["GET"], responses=TestRunSerializer(many=True), tags=["ci-cd"])
    @action(detail=True, methods=["get", "post"], url_path="test-results")
    def test_results(self, request, pk=None):
        queryset = TestRun.objects.select_related("reported_by")
        return self._report(request, pk, TestRunSerializer, services.test_result_report, queryset)

    # --- reads -------------------------------------------------------------------------------
    @extend_schema(
        responses=inline_serializer(
            "ReleaseNotes",
            {"version": serializers.CharField(), "markdown": serializers.CharField()},
        ),
        tags=["releases"],
    )
    @action(detail=True, methods=["get"])
    def notes(self, request, pk=None):
        release = selectors.release_detail(self.get_object().pk)
        return Response(
            {
                "version": release.version,
                "markdown": notes_markdown(release, links.content_sections(release, request.user)),
            }
        )

    @extend_schema(responses=AuditEventSerializer(many=True), tags=["releases"])
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        events = selectors.release_timeline(self.get_object())
        page = self.paginate_queryset(events)
        return self.get_paginated_response(AuditEventSerializer(page, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("months", OpenApiTypes.INT, description="Months back, 1–36 (6)"),
            OpenApiParameter("service", OpenApiTypes.INT, many=True, description="Service ids"),
        ],
        responses=DoraRowSerializer(many=True),
        tags=["releases"],
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def dora(self, request):
        """DORA figures per service and month; rows with service_id null are the totals."""
        try:
            months = max(1, min(int(request.query_params.get("months", 6)), 36))
        except ValueError:
            months = 6
        last = timezone.localdate()
        first = date(last.year, last.month, 1)
        for _i in range(months - 1):
            first = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
        service_ids = [int(s) for s in request.query_params.getlist("service") if s.isdigit()]
        rows = dora.dora_table(first=first, last=last, services=service_ids or None)
        return Response([row.as_dict() for row in rows])


class DeploymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every deployment of every release, newest first, for dashboards and other tools."""

    queryset = selectors.deployment_list().prefetch_related(Prefetch("incident_links"))
    serializer_class = DeploymentSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = DeploymentFilter

    @extend_schema(
        methods=["POST"],
        summary="Link an incident this deployment caused (idempotent)",
        request=IncidentLinkSerializer,
        responses={201: IncidentLinkSerializer, 200: IncidentLinkSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def incidents(self, request, pk=None):
        deployment = self.get_object()
        body = IncidentLinkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        link, created = services.deployment_link_incident(
            deployment_id=deployment.pk,
            incident_id=body.validated_data["incident_id"],
            actor=request.user,
            source=Source.API,
        )
        return Response(
            IncidentLinkSerializer(link).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
