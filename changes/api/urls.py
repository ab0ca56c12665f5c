from django.urls import path

from itsm.drf import Router

from . import catalogue, views

router = Router()
router.register("changes", views.ChangeViewSet, basename="change")
router.register("change-templates", catalogue.TemplateViewSet, basename="change-template")
router.register("cab-meetings", catalogue.CabMeetingViewSet, basename="cab-meeting")
router.register("freeze-periods", catalogue.FreezePeriodViewSet, basename="freeze-period")
router.register(
    "maintenance-windows", catalogue.MaintenanceWindowViewSet, basename="maintenance-window"
)
router.register("change-policies", catalogue.PolicyViewSet, basename="change-policy")

urlpatterns = [
    path("change-calendar/", catalogue.ChangeCalendarView.as_view(), name="change-calendar"),
    *router.urls,
]
