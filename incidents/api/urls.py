from itsm.drf import Router

from . import views

router = Router()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("postmortems", views.PostmortemViewSet, basename="postmortem")
router.register("incident-action-items", views.ActionItemViewSet, basename="incident-action-item")
router.register(
    "incident-notifications", views.NotificationViewSet, basename="incident-notification"
)
router.register(
    "incident-priority-matrix", views.PriorityMatrixViewSet, basename="incident-priority-matrix"
)
router.register(
    "incident-priority-policies", views.PriorityPolicyViewSet, basename="incident-priority-policy"
)
router.register(
    "incident-escalation-policies",
    views.EscalationPolicyViewSet,
    basename="incident-escalation-policy",
)
urlpatterns = router.urls
