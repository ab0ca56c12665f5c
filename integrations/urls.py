from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("", views.integration_list, name="list"),
    path("new/", views.integration_create, name="create"),
    path("<int:pk>/", views.integration_detail, name="detail"),
    path("<int:pk>/edit/", views.integration_edit, name="edit"),
    path("<int:pk>/rotate-token/", views.integration_rotate, name="rotate"),
    path("<int:pk>/delete/", views.integration_delete, name="delete"),
    path("<int:pk>/rules/", views.rule_add, name="rule_add"),
    path("<int:pk>/rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("<int:pk>/severities/", views.severity_set, name="severity_set"),
    path(
        "<int:pk>/severities/<int:mapping_id>/delete/",
        views.severity_delete,
        name="severity_delete",
    ),
    path("<int:pk>/deliveries/", views.delivery_list, name="deliveries"),
    path("<int:pk>/deliveries/<int:delivery_id>/", views.delivery_detail, name="delivery"),
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/new/", views.webhook_create, name="webhook_create"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/edit/", views.webhook_edit, name="webhook_edit"),
    path(
        "webhooks/<int:pk>/deliveries/<uuid:delivery_id>/",
        views.webhook_delivery,
        name="webhook_delivery",
    ),
    path(
        "webhooks/<int:pk>/deliveries/<uuid:delivery_id>/redeliver/",
        views.webhook_redeliver,
        name="webhook_redeliver",
    ),
    path("webhooks/<int:pk>/<slug:verb>/", views.webhook_action, name="webhook_action"),
    path("preferences/", views.preferences, name="preferences"),
]
