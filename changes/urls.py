from django.urls import path

from . import views

app_name = "changes"
urlpatterns = [
    path("", views.index, name="list"),
]
