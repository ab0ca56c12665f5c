"""The management API: integrations (with token rotation, rules, severities, groups and raw
deliveries), webhook subscriptions and their delivery log, and my notification preferences.

Thin: parse with a serializer, call one service, answer with the object as it is now.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from itsm.models import AuditEvent

from .. import permissions as perms
from .. import selectors, services
from ..events import EVENT_CHOICES
from ..filters import (
    AlertGroupFilter,
    DeliveryFilter,
    IntegrationFilter,
    WebhookDeliveryFilter,
    WebhookSubscriptionFilter,
)
from ..models import WebhookSubscription
from . import schema  # noqa: F401 - registers the intake authentication in the OpenAPI schema
from . import serializers as s

API = AuditEvent.Source.API


class _Perms(permissions.BasePermission):
    """Read with the view permission, write with the manage permission (services check again)."""

    def has_permission(self, request, view) -> bool:
        view_perm, manage_perm = view.required_perms
        wanted = view_perm if request.method in permissions.SAFE_METHODS else manage_perm
        return bool(
            request.user and request.user.is_authenticated and request.user.has_perm(wanted)
        )


class IntegrationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.IntakeIntegrationSerializer
    permission_classes = [_Perms]
    required_perms = (perms.VIEW_INTEGRATION, perms.MANAGE_INTEGRATION)
    filterset_class = IntegrationFilter
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]

    def get_queryset(self):
        return selectors.integration_list().prefetch_related(
            "severities", "rules__service", "rules__team"
        )

    @extend_schema(
        request=s.IntakeIntegrationSerializer, responses={201: s.IntakeIntegrationCreatedSerializer}
    )
    def create(self, request):
        serializer = s.IntakeIntegrationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        integration, token = services.integration_create(
            actor=request.user,
            source=API,
            name=data.pop("name"),
            default_service=data.pop("default_service"),
            **data,
        )
        body = s.IntakeIntegrationSerializer(self.get_queryset().get(pk=integration.pk)).data
        return Response({**body, "token": token}, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.IntakeIntegrationSerializer, responses={200: s.IntakeIntegrationSerializer}
    )
    def partial_update(self, request, pk=None):
        integration = self.get_object()
        serializer = s.IntakeIntegrationSerializer(integration, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.integration_update(
            integration_id=integration.pk,
            actor=request.user,
            source=API,
            **serializer.validated_data,
        )
        return Response(s.IntakeIntegrationSerializer(self.get_queryset().get(pk=pk)).data)

    def perform_destroy(self, instance):
        services.integration_delete(integration_id=instance.pk, actor=self.request.user, source=API)

    @extend_schema(request=s.IntakeRotateInputSerializer, responses={200: s.IntakeTokenSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request, pk=None):
        integration = self.get_object()
        data = s.IntakeRotateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        integration, token = services.integration_rotate_token(
            integration_id=integration.pk,
            actor=request.user,
            source=API,
            grace=timedelta(hours=data.validated_data["grace_hours"]),
        )
        return Response(
            {
                "token": token,
                "token_hint": integration.token_hint,
                "previous_token_expires_at": integration.previous_token_expires_at,
            }
        )

    @extend_schema(request=s.IntakeRuleInputSerializer, responses={201: s.IntakeRuleSerializer})
    @action(detail=True, methods=["post"])
    def rules(self, request, pk=None):
        integration = self.get_object()
        data = s.IntakeRuleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = services.rule_add(
            integration_id=integration.pk, actor=request.user, source=API, **data.validated_data
        )
        return Response(s.IntakeRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"rules/(?P<rule_id>\d+)")
    def delete_rule(self, request, pk=None, rule_id=None):
        integration = self.get_object()
        get_object_or_404(integration.rules, pk=rule_id)
        services.rule_delete(rule_id=int(rule_id), actor=request.user, source=API)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=s.IntakeSeverityInputSerializer, responses={200: s.IntakeSeveritySerializer}
    )
    @action(detail=True, methods=["post"])
    def severities(self, request, pk=None):
        integration = self.get_object()
        data = s.IntakeSeverityInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.severity_set(
            integration_id=integration.pk, actor=request.user, source=API, **data.validated_data
        )
        return Response(s.IntakeSeveritySerializer(row).data)


class IntakeGroupViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.IntakeGroupSerializer
    permission_classes = [_Perms]
    required_perms = (perms.VIEW_INTEGRATION, perms.MANAGE_INTEGRATION)
    filterset_class = AlertGroupFilter
    ordering_fields = ["last_seen_at", "first_seen_at"]

    def get_queryset(self):
        return selectors.group_list()

    @extend_schema(responses={200: s.IntakeAlertSummarySerializer(many=True)})
    # The group's alerts as one list: no pagination, and the list's filters do not apply.
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def alerts(self, request, pk=None):
        group = self.get_object()
        return Response(s.IntakeAlertSummarySerializer(group.alerts.all(), many=True).data)


class IntakeDeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Deliveries as received; the detail holds the raw payload."""

    permission_classes = [_Perms]
    required_perms = (perms.VIEW_INTEGRATION, perms.MANAGE_INTEGRATION)
    filterset_class = DeliveryFilter
    lookup_value_regex = "[0-9]+"  # its serializer is chosen per action: the router cannot tell
    ordering_fields = ["received_at"]

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.delivery_list().defer(None)
        return selectors.delivery_list()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.IntakeDeliveryDetailSerializer
        return s.IntakeDeliverySerializer


class WebhookSubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.WebhookSubscriptionSerializer
    permission_classes = [_Perms]
    required_perms = (perms.VIEW_WEBHOOK, perms.MANAGE_WEBHOOK)
    filterset_class = WebhookSubscriptionFilter
    ordering_fields = ["name", "created_at"]

    def get_queryset(self):
        return WebhookSubscription.objects.select_related("owner").order_by("name", "pk")

    @extend_schema(
        request=s.WebhookSubscriptionSerializer,
        responses={201: s.WebhookSubscriptionCreatedSerializer},
    )
    def create(self, request):
        if not request.user.has_perm(perms.ADD_WEBHOOK):
            raise PermissionDenied
        data = s.WebhookSubscriptionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        subscription, secret = services.webhook_create(
            actor=request.user,
            source=API,
            name=v["name"],
            url=v["url"],
            event_types=v["event_types"],
            failure_threshold=v.get("failure_threshold"),
        )
        body = s.WebhookSubscriptionSerializer(subscription).data
        return Response({**body, "secret": secret}, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.WebhookSubscriptionSerializer, responses={200: s.WebhookSubscriptionSerializer}
    )
    def partial_update(self, request, pk=None):
        subscription = self.get_object()
        data = s.WebhookSubscriptionSerializer(subscription, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        subscription = services.webhook_update(
            subscription_id=subscription.pk,
            actor=request.user,
            source=API,
            **data.validated_data,
        )
        return Response(s.WebhookSubscriptionSerializer(subscription).data)

    def perform_destroy(self, instance):
        services.webhook_delete(subscription_id=instance.pk, actor=self.request.user, source=API)

    @extend_schema(request=None, responses={200: s.WebhookSubscriptionSerializer})
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        subscription = services.webhook_enable(
            subscription_id=self.get_object().pk, actor=request.user, source=API
        )
        return Response(s.WebhookSubscriptionSerializer(subscription).data)

    @extend_schema(
        request=s.WebhookReasonSerializer, responses={200: s.WebhookSubscriptionSerializer}
    )
    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        data = s.WebhookReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.webhook_disable(
            subscription_id=self.get_object().pk,
            actor=request.user,
            source=API,
            reason=data.validated_data["reason"],
        )
        return Response(s.WebhookSubscriptionSerializer(subscription).data)

    @extend_schema(request=None, responses={200: s.WebhookSecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        _sub, secret = services.webhook_rotate_secret(
            subscription_id=self.get_object().pk, actor=request.user, source=API
        )
        return Response({"secret": secret})

    @extend_schema(request=None, responses={202: s.WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        delivery = services.webhook_ping(
            subscription_id=self.get_object().pk, actor=request.user, source=API
        )
        delivery = selectors.webhook_deliveries().get(pk=delivery.pk)
        return Response(s.WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.WebhookDeliverySerializer
    permission_classes = [_Perms]
    required_perms = (perms.VIEW_WEBHOOK, perms.MANAGE_WEBHOOK)
    filterset_class = WebhookDeliveryFilter
    ordering_fields = ["created_at"]

    def get_queryset(self):
        return selectors.webhook_deliveries()

    @extend_schema(request=None, responses={202: s.WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        delivery = services.delivery_redeliver(
            delivery_id=self.get_object().pk, actor=request.user, source=API
        )
        delivery = self.get_queryset().get(pk=delivery.pk)
        return Response(s.WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookEventTypesView(APIView):
    @extend_schema(responses={200: s.WebhookEventTypeSerializer(many=True)})
    def get(self, request):
        return Response([{"value": v, "label": str(label)} for v, label in EVENT_CHOICES])


class NotificationPreferencesView(APIView):
    """The signed-in user's own e-mail preferences."""

    @extend_schema(responses={200: s.NotificationPreferenceSerializer})
    def get(self, request):
        pref, events = services.preferences_for(request.user)
        return Response(
            {"language": pref.language, "email_scope": pref.scope, "event_types": sorted(events)}
        )

    @extend_schema(
        request=s.NotificationPreferenceSerializer,
        responses={200: OpenApiResponse(s.NotificationPreferenceSerializer)},
    )
    def put(self, request):
        data = s.NotificationPreferenceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.preferences_update(user=request.user, **data.validated_data)
        return self.get(request)
