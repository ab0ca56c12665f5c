"""API fuzzing: schemathesis generates requests for every operation of /api/schema/.

Each operation gets valid and invalid bodies, query strings and path parameters, sent with an
administrator's token (who may call everything, so the fuzzing reaches the business rules
behind the permission checks). Every response must be a non-5xx answer that matches the
documented schema (status code, content type and body).

The data is one of each object (tests/itsm/one_of_each.py) made once for the module inside a
transaction; every request runs in a savepoint rolled back after it, so the examples never see
each other's writes. A path parameter that names an object is half the time our object's id
(to reach the serializers and transitions behind it) and otherwise what was generated.

Size: ITSM_FUZZ_EXAMPLES (default 8) generated examples per operation, derandomized so a
failure replays; ITSM_FUZZ_COVERAGE=1 adds schemathesis's coverage phase (boundary values
of every parameter: about three times slower, run before a release).
"""

from __future__ import annotations

import os
import zlib
from contextlib import contextmanager

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from itsm import roles
from tests.itsm import one_of_each

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("ITSM_FUZZ_EXAMPLES", "8"))
COVERAGE = os.environ.get("ITSM_FUZZ_COVERAGE", "") == "1"
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


schema = schemathesis.openapi.from_dict(_schema())
schema.app = WSGIHandler()
schema.config.generation.update(modes=["positive", "negative"], max_examples=EXAMPLES)
schema.config.phases.coverage.enabled = COVERAGE
schema.config.phases.stateful.enabled = False


@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker):
    """One of each object and an administrator's token, for the module; rolled back after."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            made = one_of_each.make()
            admin = made.users[roles.ADMINISTRATOR]
            made.tokens["admin"] = Token.objects.create(user=admin).key
            made.values = {_shape(k): v for k, v in one_of_each.url_values(made).items()}
            yield made
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _shape(path: str) -> str:
    return "/" + "/".join("{}" if p.startswith("{") else p for p in path.strip("/").split("/"))


def _with_our_objects(case, data) -> None:
    """Half of the generated path parameters become the id of our object at that place."""
    template = case.operation.path
    for name in list(case.path_parameters or {}):
        generated = case.path_parameters[name]
        if zlib.crc32(str(generated).encode()) % 2:  # stable across runs
            continue
        key_end = template.index("{" + name + "}") + len(name) + 2
        value = data.values.get(_shape(template[:key_end]))
        if value is not None:
            case.path_parameters[name] = value


def test_the_published_schema_is_the_fuzzed_one(api_client_for, admin_user):
    response = api_client_for(admin_user).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json() == _schema()


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api(case, data):
    _with_our_objects(case, data)
    headers = {"Authorization": f"Token {data.tokens['admin']}", "Host": "testserver"}
    with transaction.atomic(), _connection_kept():
        case.call_and_validate(headers=headers, checks=CHECKS)
        transaction.set_rollback(True)


@contextmanager
def _connection_kept():
    """The WSGI handler closes a connection that is in a transaction when a request starts
    and ends; that would end the test's transaction under it. Django's test client does the
    same as this (and reconnects the handler after each of its own requests)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
