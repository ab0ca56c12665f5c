from django.urls import path

from itsm.drf import Router

from . import intake_views, views

router = Router()
router.register("integrations", views.IntegrationViewSet, basename="integration")
router.register("intake-groups", views.IntakeGroupViewSet, basename="intake-group")
router.register("intake-deliveries", views.IntakeDeliveryViewSet, basename="intake-delivery")
router.register("webhooks", views.WebhookSubscriptionViewSet, basename="webhook")
router.register("webhook-deliveries", views.WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path(
        "intake/alertmanager/",
        intake_views.AlertmanagerIntakeView.as_view(),
        name="intake-alertmanager",
    ),
    path("intake/events/", intake_views.GenericIntakeView.as_view(), name="intake-events"),
    path("webhook-event-types/", views.WebhookEventTypesView.as_view(), name="webhook-event-types"),
    path(
        "notification-preferences/",
        views.NotificationPreferencesView.as_view(),
        name="notification-preferences",
    ),
    *router.urls,
]
