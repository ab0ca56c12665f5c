from itsm.drf import Router

from . import views

router = Router()
router.register("maintenance-plans", views.PlanViewSet, basename="maintenance-plan")
router.register("maintenance-jobs", views.JobViewSet, basename="maintenance-job")
router.register("maintenance-runs", views.RunViewSet, basename="maintenance-run")
router.register("pending-updates", views.PendingUpdateViewSet, basename="pending-update")
urlpatterns = router.urls
