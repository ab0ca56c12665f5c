"""/api/v1/: the kernel's endpoints plus each workflow app's own api/urls.py."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from . import api_views
from .drf import Router

router = Router()
router.register("teams", api_views.TeamViewSet)
router.register("services", api_views.ServiceViewSet)
router.register("audit-events", api_views.AuditEventViewSet)


@csrf_exempt  # a POST to an unknown path is a 404, not a CSRF refusal
def api_not_found(request, *args, **kwargs):
    return JsonResponse(
        {"error": {"code": "not_found", "message": _("No such API endpoint.")}}, status=404
    )


urlpatterns = [
    path("", api_views.ApiRootView.as_view(), name="api-root"),
    path("me/", api_views.MeView.as_view(), name="api-me"),
    path("", include("changes.api.urls")),
    path("", include("incidents.api.urls")),
    path("", include("releases.api.urls")),
    path("", include("backups.api.urls")),
    path("", include("oncall.api.urls")),
    path("", include("maintenance.api.urls")),
    path("", include("integrations.api.urls")),
    path("", include("reports.api.urls")),
    path("", include(router.urls)),
    # Anything else under /api/v1/ is a JSON 404 in the one error format, not an HTML page.
    re_path(r"", api_not_found),
]
