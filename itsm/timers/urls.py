from django.urls import path

from . import views

app_name = "timers"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<int:pk>/retry/", views.retry, name="retry"),
    path("probe/", views.probe, name="probe"),
]
