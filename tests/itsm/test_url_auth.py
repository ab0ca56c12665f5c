"""Every URL in the URL conf refuses anonymous visitors, generated so no endpoint can escape.

Pages redirect to the login page, the API answers 401/403. The few public doors are listed
here on purpose, each with the reason it is public.
"""

import re

import pytest

from tests.itsm.routes import routes, sample_path

pytestmark = pytest.mark.django_db

# name (or path prefix) → why it is public and what it answers anonymously
PUBLIC = {
    "login": (200, "the login page itself"),
    "set_language": (405, "language switch before login (POST only)"),
    "healthz": (200, "load balancer probe"),
    "favicon": (301, "browsers fetch it before and after login (it redirects to a static file)"),
    "metrics": (403, "needs a bearer token or staff login"),
}
PUBLIC_PREFIXES = {
    "/admin/": "Django admin redirects to its own login",
    "/static/": "static files",
}
# Doors authenticated by their own secret instead of a session (a calendar app or a
# monitoring system cannot log in): anonymous requests with a wrong secret must fail.
SECRET_URL_NAMES = re.compile(r"(ical|feed|intake)", re.IGNORECASE)

ROUTES = routes()


@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[r for r, _ in ROUTES])
def test_anonymous_visitors_are_refused(client, route, name):
    path = sample_path(route)
    if any(path.startswith(prefix) for prefix in PUBLIC_PREFIXES):
        return
    response = client.get(path)
    if name in PUBLIC:
        assert response.status_code == PUBLIC[name][0], PUBLIC[name][1]
        return
    if SECRET_URL_NAMES.search(name) or SECRET_URL_NAMES.search(route):
        refused = response.status_code in (401, 403, 404, 405) or (
            response.status_code == 302 and response["Location"].startswith("/login/")
        )
        assert refused, f"{path} must need its secret or a login"
        return
    if path.startswith("/api/"):
        assert response.status_code in (401, 403), f"{path} answered {response.status_code}"
    else:
        assert response.status_code == 302, f"{path} answered {response.status_code}"
        assert response["Location"].startswith("/login/"), response["Location"]
