from django.urls import path

from . import views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="list"),
    path("queue/", views.queue, name="queue"),
    path("new/", views.incident_create, name="create"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/live/", views.incident_live, name="live"),
    path("<int:pk>/edit/", views.incident_edit, name="edit"),
    path("<int:pk>/do/<slug:verb>/", views.incident_action, name="action"),
    path("<int:pk>/postmortem/", views.postmortem_detail, name="postmortem"),
    path("<int:pk>/postmortem/start/", views.postmortem_start, name="postmortem-start"),
    path("<int:pk>/postmortem/do/<slug:verb>/", views.postmortem_action, name="postmortem-action"),
    path("<int:pk>/postmortem/entries/", views.postmortem_entry_add, name="postmortem-entry-add"),
    path(
        "<int:pk>/postmortem/entries/<int:entry_id>/remove/",
        views.postmortem_entry_remove,
        name="postmortem-entry-remove",
    ),
    path("<int:pk>/postmortem/items/", views.action_item_add, name="action-item-add"),
    path("action-items/", views.action_item_list, name="action-items"),
    path(
        "action-items/<int:item_id>/<slug:verb>/",
        views.action_item_action,
        name="action-item-action",
    ),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
]
