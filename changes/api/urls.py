from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("changes", views.ChangeViewSet, basename="change")
router.register("change-templates", views.TemplateViewSet, basename="change-template")
router.register("cab-meetings", views.CabMeetingViewSet, basename="cab-meeting")
router.register("freeze-periods", views.FreezePeriodViewSet, basename="freeze-period")
router.register(
    "maintenance-windows", views.MaintenanceWindowViewSet, basename="maintenance-window"
)
router.register("change-policies", views.PolicyViewSet, basename="change-policy")

urlpatterns = [
    path("change-calendar/", views.ChangeCalendarView.as_view(), name="change-calendar"),
    *router.urls,
]
