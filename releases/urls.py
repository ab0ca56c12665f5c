from django.urls import path

from . import views

app_name = "releases"
urlpatterns = [
    path("", views.release_list, name="list"),
    path("new/", views.release_create, name="create"),
    path("calendar/", views.release_calendar, name="calendar"),
    path("calendar.ics", views.release_calendar_ics, name="calendar_ics"),
    path("dora/", views.dora_report, name="dora"),
    path("<int:pk>/", views.release_detail, name="detail"),
    path("<int:pk>/edit/", views.release_edit, name="edit"),
    path("<int:pk>/notes/", views.release_notes, name="notes"),
    path("<int:pk>/notes.md", views.release_notes_markdown, name="notes_markdown"),
    path("<int:pk>/deployments/", views.deployment_record, name="deployment_record"),
    path("<int:pk>/incidents/", views.incident_link, name="incident_link"),
    path("<int:pk>/<slug:verb>/", views.release_transition, name="transition"),
]
