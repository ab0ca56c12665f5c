from django.urls import path

from . import views

urlpatterns = [
    path("reports/dashboard/", views.DashboardView.as_view(), name="report-dashboard"),
    path("reports/sla/", views.SlaReportView.as_view(), name="report-sla"),
    path(
        "reports/sla/incidents/<int:pk>/",
        views.SlaIncidentView.as_view(),
        name="report-sla-incident",
    ),
    path("reports/postmortems/", views.PostmortemReportView.as_view(), name="report-postmortems"),
    path("reports/changes/", views.ChangeReportView.as_view(), name="report-changes"),
    path("reports/releases/", views.ReleaseReportView.as_view(), name="report-releases"),
    path("reports/backups/", views.BackupReportView.as_view(), name="report-backups"),
]
