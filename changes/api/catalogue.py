"""API for what surrounds the changes: the standard template catalogue, CAB meetings, the
calendar (freeze periods, maintenance windows, the combined view) and the class policies."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors
from .. import services as svc
from ..models import (
    CabMeeting,
    ChangeClassPolicy,
    FreezePeriod,
    MaintenanceWindow,
    StandardTemplate,
)
from . import serializers as s
from .views import API


@extend_schema_view(
    create=extend_schema(summary="Propose a standard change template",
                         responses={201: s.ChangeTemplateSerializer}),
    partial_update=extend_schema(summary="Edit a proposed template",
                                 responses={200: s.ChangeTemplateSerializer}),
)  # fmt: skip
class TemplateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    mixins.UpdateModelMixin, viewsets.GenericViewSet,
):  # fmt: skip
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = s.ChangeTemplateSerializer
    queryset = StandardTemplate.objects.select_related(
        "owner_team", "proposed_by", "decided_by"
    ).prefetch_related("services")
    filterset_fields = ["status", "family"]

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        template = svc.template_propose(
            actor=request.user, source=API, services=data.pop("services", []), **data
        )
        return Response(self.get_serializer(template).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        template = svc.template_update(
            template_id=int(pk), actor=request.user, source=API,
            services=data.pop("services", None), **data,
        )  # fmt: skip
        return Response(self.get_serializer(template).data)

    def _respond(self, template):
        return Response(self.get_serializer(template).data)

    @extend_schema(request=s.ChangeNoteInputSerializer, responses={200: s.ChangeTemplateSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = s.ChangeNoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(svc.template_approve(
            template_id=int(pk), actor=request.user, source=API, note=data.validated_data["note"]
        ))  # fmt: skip

    @extend_schema(request=s.ChangeNoteInputSerializer, responses={200: s.ChangeTemplateSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = s.ChangeNoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(svc.template_reject(
            template_id=int(pk), actor=request.user, source=API, note=data.validated_data["note"]
        ))  # fmt: skip

    @extend_schema(request=None, responses={200: s.ChangeTemplateSerializer})
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        return self._respond(
            svc.template_retire(template_id=int(pk), actor=request.user, source=API)
        )

    @extend_schema(request=None, responses={201: s.ChangeTemplateSerializer})
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        template = svc.template_new_version(template_id=int(pk), actor=request.user, source=API)
        return Response(self.get_serializer(template).data, status=status.HTTP_201_CREATED)


class CabMeetingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    serializer_class = s.ChangeCabMeetingSerializer
    queryset = CabMeeting.objects.select_related("chair").prefetch_related("agenda")

    @extend_schema(summary="Plan a CAB meeting (agenda: changes awaiting a CAB decision)",
                   responses={201: s.ChangeCabMeetingSerializer})  # fmt: skip
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        meeting = svc.cab_meeting_create(
            actor=request.user, source=API, **serializer.validated_data
        )
        return Response(self.get_serializer(meeting).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.ChangeCabMeetingSerializer})
    @action(detail=True, methods=["post"], url_path="refresh-agenda")
    def refresh_agenda(self, request, pk=None):
        meeting = svc.cab_meeting_refresh_agenda(meeting_id=int(pk), actor=request.user, source=API)
        return Response(self.get_serializer(meeting).data)

    @extend_schema(request=s.ChangeMinutesInputSerializer,
                   responses={200: s.ChangeCabMeetingSerializer})  # fmt: skip
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        data = s.ChangeMinutesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = svc.cab_meeting_close(
            meeting_id=int(pk), actor=request.user, source=API, **data.validated_data
        )
        return Response(self.get_serializer(meeting).data)


class _CalendarEntryViewSet(viewsets.ModelViewSet):
    kind = ""
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _save(self, request, pk=None, partial=False):
        instance = self.get_object() if pk else None
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        services = data.pop("services", None)
        if services is None:
            services = list(instance.services.all()) if instance else []
        entry = svc.calendar_entry_save(
            kind=self.kind,
            actor=request.user,
            source=API,
            entry_id=instance.pk if instance else None,
            services=services,
            **data,
        )
        return Response(
            self.get_serializer(entry).data,
            status=status.HTTP_200_OK if pk else status.HTTP_201_CREATED,
        )

    def create(self, request):
        return self._save(request)

    def partial_update(self, request, pk=None):
        return self._save(request, pk, partial=True)

    def destroy(self, request, pk=None):
        svc.calendar_entry_delete(kind=self.kind, entry_id=int(pk), actor=request.user, source=API)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FreezePeriodViewSet(_CalendarEntryViewSet):
    """Freeze (blackout) periods: no change may be scheduled into one except emergencies."""

    kind = "freeze"
    serializer_class = s.ChangeFreezePeriodSerializer
    queryset = FreezePeriod.objects.prefetch_related("services")


class MaintenanceWindowViewSet(_CalendarEntryViewSet):
    kind = "window"
    serializer_class = s.ChangeMaintenanceWindowSerializer
    queryset = MaintenanceWindow.objects.prefetch_related("services")


class PolicyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Approval policy per change class; administrators edit it."""

    http_method_names = ["get", "patch", "head", "options"]
    serializer_class = s.ChangePolicySerializer
    queryset = ChangeClassPolicy.objects.all()

    def partial_update(self, request, pk=None):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        policy = svc.policy_update(
            policy_id=int(pk), actor=request.user, source=API, **serializer.validated_data
        )
        return Response(self.get_serializer(policy).data)


class ChangeCalendarView(APIView):
    """Planned changes, maintenance window occurrences and freeze periods in a range."""

    @extend_schema(parameters=[s.ChangeCalendarQuerySerializer],
                   responses={200: s.ChangeCalendarSerializer})  # fmt: skip
    def get(self, request):
        query = s.ChangeCalendarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = selectors.calendar_data(query.validated_data["start"], query.validated_data["end"])
        return Response(
            {
                "changes": s.ChangeListSerializer(data.changes, many=True).data,
                "maintenance_windows": [
                    {"window": w.pk, "name": w.name, "start": start, "end": end}
                    for w, start, end in data.windows
                ],
                "freeze_periods": s.ChangeFreezePeriodSerializer(data.freezes, many=True).data,
            }
        )
