"""The project's URLconf plus /bench/ping, a trivial view that is the throughput ceiling.

Only bench/load.py serves it (through bench/load_settings.py); the product never routes it.
The view goes through the same middleware as every page (session, user, preferences, CSP),
so the difference to it is what an endpoint itself costs.
"""

from django.http import HttpResponse
from django.urls import path

from itsm.urls import urlpatterns as project_urlpatterns


def ping(request):
    return HttpResponse(b"pong", content_type="text/plain")


urlpatterns = [path("bench/ping", ping), *project_urlpatterns]
