from django.urls import path

from . import views

app_name = "oncall"
urlpatterns = [
    path("", views.schedule_list, name="list"),
    path("me/", views.my_shifts, name="my_shifts"),
    path("me/calendar/rotate/", views.feed_rotate, name="feed_rotate"),
    path("fairness/", views.fairness, name="fairness"),
    path("overrides/", views.override_list, name="overrides"),
    path("overrides/<int:pk>/cancel/", views.override_cancel, name="override_cancel"),
    path("schedules/new/", views.schedule_create, name="schedule_create"),
    path("schedules/<int:pk>/", views.schedule_detail, name="schedule"),
    path("schedules/<int:pk>/edit/", views.schedule_edit, name="schedule_edit"),
    path(
        "schedules/<int:pk>/calendar/rotate/",
        views.schedule_rotate_token,
        name="schedule_rotate_token",
    ),
    path("schedules/<int:pk>/rotations/new/", views.rotation_create, name="rotation_create"),
    path("schedules/<int:pk>/overrides/new/", views.override_create, name="override_create"),
    path("rotations/<int:pk>/edit/", views.rotation_edit, name="rotation_edit"),
    path("rotations/<int:pk>/end/", views.rotation_end, name="rotation_end"),
    path("teams/<slug:slug>/", views.team_schedule, name="team"),
    path("teams/<slug:slug>/take-over/", views.take_over, name="take_over"),
    path("calendar/person/<str:token>.ics", views.person_feed, name="person_feed"),
    path("calendar/schedule/<str:token>.ics", views.schedule_feed, name="schedule_feed"),
]
