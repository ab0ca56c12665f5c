from itsm.drf import Router

from . import views

router = Router()
router.register("releases", views.ReleaseViewSet, basename="release")
router.register("deployments", views.DeploymentViewSet, basename="deployment")
urlpatterns = router.urls
