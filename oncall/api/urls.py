from django.urls import re_path

from itsm.drf import Router

from . import views

router = Router()
router.register("oncall/schedules", views.ScheduleViewSet, basename="oncall-schedule")
router.register("oncall/rotations", views.RotationViewSet, basename="oncall-rotation")
router.register("oncall/overrides", views.OverrideViewSet, basename="oncall-override")

urlpatterns = [
    *router.urls,
    re_path(r"^oncall/(?P<team>[-\w]+)/now/?$", views.OnCallNowView.as_view(), name="oncall-now"),
    re_path(
        r"^oncall/(?P<team>[-\w]+)/take-over/?$",
        views.TakeOverView.as_view(),
        name="oncall-take-over",
    ),
]
