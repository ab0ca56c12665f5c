from django.urls import path

from . import views

app_name = "backups"
urlpatterns = [
    path("", views.dashboard, name="list"),
    path("targets/new/", views.target_form, name="target-new"),
    path("targets/<slug:slug>/", views.target_detail, name="target"),
    path("targets/<slug:slug>/edit/", views.target_form, name="target-edit"),
    path("targets/<slug:slug>/policies/new/", views.policy_form, name="policy-new"),
    path("targets/<slug:slug>/policies/<int:pk>/", views.policy_form, name="policy-edit"),
    path("portal/backup-now/", views.portal_backup_now, name="portal-backup-now"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/<str:verb>/", views.run_transition, name="run-transition"),
    path("drills/", views.drill_list, name="drills"),
    path("drills/new/", views.drill_new, name="drill-new"),
    path("drills/<int:pk>/", views.drill_detail, name="drill"),
    path("drills/<int:pk>/<str:verb>/", views.drill_transition, name="drill-transition"),
]
