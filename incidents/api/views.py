"""The incidents API: CRUD plus POST /api/v1/incidents/{id}/<verb>/ for each action.

Thin: parse with a serializer, call one service, answer with the incident as it is now.
Errors map through itsm.drf: illegal transition 409, broken rule 400, not allowed 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from itsm.models import AuditEvent
from itsm.pagecache import CachedListMixin

from .. import permissions as perms
from .. import selectors, services
from ..actions import ACTIONS
from ..filters import ActionItemFilter, IncidentFilter
from ..models import (
    ActionItem,
    EscalationLevel,
    EscalationPolicy,
    Incident,
    Notification,
    Postmortem,
    PriorityMatrixCell,
    PriorityPolicy,
    TimelineEntry,
)
from . import serializers as s

API = AuditEvent.Source.API

# verb → input serializer; the services behind each verb live in incidents.actions.
VERB_INPUTS = {
    "acknowledge": s.IncidentEmptyInput,
    "triage": s.IncidentTriageInput,
    "investigate": s.IncidentEmptyInput,
    "wait": s.IncidentQuestionInput,
    "resume": s.IncidentAnswerInput,
    "recover": s.IncidentSummaryInput,
    "verify": s.IncidentEmptyInput,
    "close": s.IncidentEmptyInput,
    "reopen": s.IncidentReasonInput,
    "merge": s.IncidentMergeInput,
    "escalate": s.IncidentEscalateInput,
    "deescalate": s.IncidentReasonInput,
    "prioritize": s.IncidentPriorityInput,
    "assign": s.IncidentAssignInput,
    "declare-major": s.IncidentReasonInput,
    "set-parent": s.IncidentParentInput,
    "link-change": s.IncidentChangeLinkInput,
    "request-postmortem": s.IncidentOptionalReasonInput,
}


def _verb_action(verb: str):
    input_serializer = VERB_INPUTS[verb]
    run = ACTIONS[verb].run

    @extend_schema(
        request=input_serializer,
        responses={
            200: s.IncidentDetailSerializer,
            400: OpenApiResponse(description="A business rule is broken"),
            403: OpenApiResponse(description="Not allowed"),
            409: OpenApiResponse(description="Not allowed in the current state"),
        },
        summary=f"{ACTIONS[verb].label}",
    )
    def handler(self, request, pk=None):
        incident = self.get_object()
        data = input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        run(incident.pk, request.user, API, dict(data.validated_data))
        return self._current(incident.pk)

    handler.__name__ = verb.replace("-", "_")
    return action(detail=True, methods=["post"], url_path=verb, url_name=verb)(handler)


class IncidentViewSet(CachedListMixin, viewsets.ModelViewSet):
    """Incidents. Writes go through the services; the status changes only by verbs."""

    queryset = Incident.objects.none()  # for the schema; get_queryset scopes to the user
    filter_backends = [DjangoFilterBackend]
    filterset_class = IncidentFilter

    def page_cache_shared(self, request) -> bool:
        return perms.lists_same_for_every_responder(request)

    def get_queryset(self):
        qs = selectors.incident_list(self.request.user)
        if self.action != "list":
            qs = qs.prefetch_related("escalation_steps__actor")
        return qs

    def get_serializer_class(self):
        if self.action == "create":
            return s.IncidentCreateSerializer
        if self.action in ("update", "partial_update"):
            return s.IncidentUpdateSerializer
        if self.action == "list":
            return s.IncidentSerializer
        return s.IncidentDetailSerializer

    def _current(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        incident = selectors.incident_detail(pk, self.request.user)
        return Response(
            s.IncidentDetailSerializer(incident, context=self.get_serializer_context()).data,
            status=code,
        )

    @extend_schema(request=s.IncidentCreateSerializer, responses={201: s.IncidentDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = s.IncidentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        incident = services.incident_report(
            actor=request.user,
            source=API,
            title=v["title"],
            description=v["description"],
            service=v["service"],
            scope=v["scope"],
            business_impact=v["business_impact"],
            urgency=v["urgency"],
            detected_by=v["detected_by"],
            detected_at=v["detected_at"],
            affected_services=v.get("affected_services"),
            team=v["team"],
            assignee=v["assignee"],
            is_major=v["is_major"],
        )
        return self._current(incident.pk, status.HTTP_201_CREATED)

    @extend_schema(request=s.IncidentUpdateSerializer, responses={200: s.IncidentDetailSerializer})
    def update(self, request, *args, **kwargs):
        incident = self.get_object()
        data = s.IncidentUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        services.incident_update(
            incident_id=incident.pk, actor=request.user, source=API, **data.validated_data
        )
        return self._current(incident.pk)

    @extend_schema(responses={204: None, 403: OpenApiResponse(description="Administrators only")})
    def destroy(self, request, *args, **kwargs):
        """Only administrators delete (test data, privacy requests); the audit trail stays."""
        incident = self.get_object()
        if not request.user.has_perm("incidents.delete_incident"):
            raise PermissionDenied
        services.incident_delete(incident_id=incident.pk, actor=request.user, source=API)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=s.IncidentTimelineEvent(many=True))
    # One list, not a page: without these the schema documented the list's pagination and
    # filters, which the timeline does not have.
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request, pk=None):
        """The incident's audit events, oldest first."""
        incident = self.get_object()
        events = [
            {
                "at": e.at,
                "action": e.action,
                "actor": e.actor.get_username() if e.actor else None,
                "source": e.source,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "message": e.message,
            }
            for e in selectors.incident_events(incident)
        ]
        return Response(s.IncidentTimelineEvent(events, many=True).data)

    @extend_schema(responses=s.IncidentNotificationSerializer(many=True))
    @action(detail=True, methods=["get"])
    def notifications(self, request, pk=None):
        """The incident's notification log: who was told what, and whether the e-mail went."""
        incident = self.get_object()
        page = self.paginate_queryset(
            selectors.incident_notifications(incident).select_related("incident")
        )
        return self.get_paginated_response(s.IncidentNotificationSerializer(page, many=True).data)


for _verb in VERB_INPUTS:
    setattr(IncidentViewSet, _verb.replace("-", "_"), _verb_action(_verb))


class PostmortemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Postmortems: draft → in review → published; edits only while a draft."""

    queryset = Postmortem.objects.none()
    filterset_fields = ["status", "incident"]
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        visible = Incident.objects.visible_to(self.request.user).values("pk")
        return (
            Postmortem.objects.filter(incident__in=visible)
            .select_related("incident", "author", "published_by")
            .prefetch_related(
                Prefetch("entries", queryset=TimelineEntry.objects.select_related("author")),
                "action_items__owner",
                "action_items__team",
                "action_items__postmortem",
            )
        )

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return s.PostmortemUpdateSerializer
        return s.PostmortemSerializer

    def _current(self, pk: int, code=status.HTTP_200_OK) -> Response:
        return Response(s.PostmortemSerializer(self.get_queryset().get(pk=pk)).data, status=code)

    @extend_schema(request=s.PostmortemCreateSerializer, responses={201: s.PostmortemSerializer})
    def create(self, request):
        """Start the postmortem of an incident (one per incident; returns the existing one)."""
        data = s.PostmortemCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incident_id = data.validated_data["incident"]
        if not Incident.objects.visible_to(request.user).filter(pk=incident_id).exists():
            from django.http import Http404

            raise Http404
        postmortem = services.postmortem_start(
            incident_id=incident_id, actor=request.user, source=API
        )
        return self._current(postmortem.pk, status.HTTP_201_CREATED)

    @extend_schema(request=s.PostmortemUpdateSerializer, responses={200: s.PostmortemSerializer})
    def update(self, request, *args, **kwargs):
        postmortem = self.get_object()
        data = s.PostmortemUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        services.postmortem_update(
            postmortem_id=postmortem.pk, actor=request.user, source=API, **data.validated_data
        )
        return self._current(postmortem.pk)

    @extend_schema(request=s.IncidentEmptyInput, responses={200: s.PostmortemSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        services.postmortem_submit(
            postmortem_id=self.get_object().pk, actor=request.user, source=API
        )
        return self._current(pk)

    @extend_schema(request=s.PostmortemCommentInput, responses={200: s.PostmortemSerializer})
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        data = s.PostmortemCommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.postmortem_request_changes(
            postmortem_id=self.get_object().pk,
            actor=request.user,
            source=API,
            comment=data.validated_data["comment"],
        )
        return self._current(pk)

    @extend_schema(request=s.IncidentEmptyInput, responses={200: s.PostmortemSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        services.postmortem_publish(
            postmortem_id=self.get_object().pk, actor=request.user, source=API
        )
        return self._current(pk)

    @extend_schema(
        request=s.PostmortemTimelineEntryInput, responses={201: s.PostmortemTimelineEntrySerializer}
    )
    @action(detail=True, methods=["post"])
    def entries(self, request, pk=None):
        """Add a manual timeline entry."""
        data = s.PostmortemTimelineEntryInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.postmortem_add_entry(
            postmortem_id=self.get_object().pk,
            actor=request.user,
            source=API,
            **data.validated_data,
        )
        return Response(
            s.PostmortemTimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED
        )


class ActionItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Action items of postmortems, tracked until done; reminders when overdue."""

    queryset = ActionItem.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = ActionItemFilter

    def get_queryset(self):
        visible = Incident.objects.visible_to(self.request.user).values("pk")
        return selectors.action_items().filter(postmortem__incident__in=visible)

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return s.IncidentActionItemUpdateSerializer
        return s.IncidentActionItemSerializer

    def _current(self, pk: int, code=status.HTTP_200_OK) -> Response:
        return Response(
            s.IncidentActionItemSerializer(self.get_queryset().get(pk=pk)).data, status=code
        )

    @extend_schema(
        request=s.IncidentActionItemSerializer, responses={201: s.IncidentActionItemSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = s.IncidentActionItemSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        postmortem = v["postmortem"]
        if not Incident.objects.visible_to(request.user).filter(pk=postmortem.incident_id).exists():
            raise PermissionDenied
        item = services.action_item_add(
            postmortem_id=postmortem.pk,
            actor=request.user,
            source=API,
            title=v["title"],
            owner=v["owner"],
            team=v["team"],
            due_date=v["due_date"],
        )
        return self._current(item.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.IncidentActionItemUpdateSerializer,
        responses={200: s.IncidentActionItemSerializer},
    )
    def update(self, request, *args, **kwargs):
        item = self.get_object()
        data = s.IncidentActionItemUpdateSerializer(
            data=request.data, partial=kwargs.get("partial", False)
        )
        data.is_valid(raise_exception=True)
        services.action_item_update(
            item_id=item.pk, actor=request.user, source=API, **data.validated_data
        )
        return self._current(item.pk)

    @extend_schema(
        request=s.IncidentActionItemNoteInput, responses={200: s.IncidentActionItemSerializer}
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        data = s.IncidentActionItemNoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.action_item_complete(
            item_id=self.get_object().pk, actor=request.user, source=API, **data.validated_data
        )
        return self._current(pk)

    @extend_schema(request=s.IncidentReasonInput, responses={200: s.IncidentActionItemSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = s.IncidentReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.action_item_cancel(
            item_id=self.get_object().pk, actor=request.user, source=API, **data.validated_data
        )
        return self._current(pk)


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """My incident notifications (the in-app inbox)."""

    queryset = Notification.objects.none()
    serializer_class = s.IncidentNotificationSerializer
    filterset_fields = ["kind", "incident"]
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        qs = selectors.notifications_for(self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(
        request=s.IncidentEmptyInput, responses={200: OpenApiResponse(description="{'marked': n}")}
    )
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request):
        return Response({"marked": services.mark_read(user=request.user)})


class PriorityMatrixViewSet(viewsets.ReadOnlyModelViewSet):
    """The impact × urgency matrix (administrators edit it in the admin)."""

    queryset = PriorityMatrixCell.objects.all()
    serializer_class = s.IncidentPriorityMatrixCellSerializer
    pagination_class = None


class PriorityPolicyViewSet(viewsets.ReadOnlyModelViewSet):
    """SLA targets per priority."""

    queryset = PriorityPolicy.objects.all()
    serializer_class = s.IncidentPriorityPolicySerializer
    pagination_class = None


class EscalationPolicyViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = EscalationPolicy.objects.prefetch_related(
        "teams",
        Prefetch("levels", queryset=EscalationLevel.objects.select_related("team", "person")),
    )
    serializer_class = s.IncidentEscalationPolicySerializer
