"""/healthz for load balancers and /metrics for Prometheus."""

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView

from .models import Heartbeat

HEARTBEAT_STALE_AFTER = 120  # seconds


def _check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, connection.vendor
    except Exception as exc:  # noqa: BLE001 - health reports, never raises
        return False, f"{type(exc).__name__}: {exc}"


def _check_broker() -> tuple[bool, str]:
    from itsm.celery import app

    url = app.conf.broker_url or ""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, url.split("://", 1)[0]
    except Exception as exc:  # noqa: BLE001
        return False, f"{type(exc).__name__}: {exc}"


@never_cache
@login_not_required
def healthz(request):
    db_ok, db_detail = _check_database()
    broker_ok, broker_detail = _check_broker()
    beat = Heartbeat.objects.filter(name="beat").first() if db_ok else None
    age = (timezone.now() - beat.at).total_seconds() if beat else None
    beat_ok = age is not None and age < HEARTBEAT_STALE_AFTER
    body = {
        "status": "ok" if db_ok and broker_ok and beat_ok else "degraded",
        "database": {"ok": db_ok, "detail": db_detail},
        "broker": {"ok": broker_ok, "detail": broker_detail},
        "beat": {
            "ok": beat_ok,
            "last_heartbeat": beat.at.isoformat() if beat else None,
            "age_seconds": round(age, 1) if age is not None else None,
        },
    }
    # The web tier is healthy while it reaches its database; a stale beat is reported, not
    # fatal, so a load balancer does not drop every web node because beat is restarting.
    return JsonResponse(body, status=200 if db_ok else 503)


@never_cache
@login_not_required
def metrics(request):
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    allowed = (request.user.is_authenticated and request.user.is_staff) or (
        token and hmac.compare_digest(header, f"Bearer {token}")
    )
    if not allowed:
        return HttpResponseForbidden("metrics need a bearer token (METRICS_TOKEN) or a staff login")
    response = ExportToDjangoView(request)
    return response if isinstance(response, HttpResponse) else HttpResponse(response)
