from itsm.drf import Router

from . import views

router = Router()
router.register("backup-targets", views.BackupTargetViewSet, basename="backuptarget")
router.register("backup-policies", views.BackupPolicyViewSet, basename="backuppolicy")
router.register("backup-runs", views.BackupRunViewSet, basename="backuprun")
router.register("restore-tests", views.RestoreTestViewSet, basename="restoretest")
router.register("storage-locations", views.StorageLocationViewSet, basename="storagelocation")
urlpatterns = router.urls
