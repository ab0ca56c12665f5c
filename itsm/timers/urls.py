from django.urls import path

from . import views

app_name = "timers"
urlpatterns = [path("", views.overview, name="overview")]
