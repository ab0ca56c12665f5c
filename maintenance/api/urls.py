from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("maintenance-plans", views.PlanViewSet, basename="maintenance-plan")
router.register("maintenance-jobs", views.JobViewSet, basename="maintenance-job")
router.register("maintenance-runs", views.RunViewSet, basename="maintenance-run")
router.register("pending-updates", views.PendingUpdateViewSet, basename="pending-update")
urlpatterns = router.urls
