from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("sla/", views.sla, name="sla"),
    path("sla/incidents/<int:pk>/", views.sla_incident, name="sla-incident"),
    path("postmortems/", views.postmortems, name="postmortems"),
    path("changes/", views.changes, name="changes"),
    path("releases/", views.releases, name="releases"),
    path("backups/", views.backups, name="backups"),
]
