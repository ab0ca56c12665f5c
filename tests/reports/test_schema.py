"""Every reports API response conforms to the OpenAPI schema drf-spectacular publishes.

The schema's objects are closed here (no undocumented keys) and its `nullable` read as JSON
Schema's `null` type, so a figure the serializers send but do not document, or a null where
the schema promises a number, fails.
"""

import jsonschema
import pytest
import time_machine
from drf_spectacular.generators import SchemaGenerator

from itsm import roles

from .factories import MAY, REPORT_NOW
from .test_postmortems_changes import build_changes
from .test_releases_backups import build_backups, build_releases

YEAR = {"from": "2025-06", "to": "2026-05", "tz": "Asia/Seoul"}
REQUESTS = [
    ("/api/v1/reports/dashboard/", {"tz": "Asia/Seoul"}),
    ("/api/v1/reports/sla/", {**MAY, "by": ["priority", "team", "service"]}),
    ("/api/v1/reports/sla/", {**YEAR, "by": ["team"]}),  # months without p90: nulls
    ("/api/v1/reports/postmortems/", MAY),
    ("/api/v1/reports/changes/", MAY),
    ("/api/v1/reports/changes/", YEAR),
    ("/api/v1/reports/releases/", MAY),
    ("/api/v1/reports/backups/", MAY),
]


def _strict(node):
    """OpenAPI 3.0 schema -> JSON Schema: `nullable` as a null type, closed objects."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _strict(value) for key, value in node.items()}
    if node.get("type") == "object" and "properties" in node:
        node.setdefault("additionalProperties", False)
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture(scope="module")
def schema():
    return _strict(SchemaGenerator().get_schema(request=None, public=True))


def _validate(schema, path: str, body) -> None:
    response = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    root = {"components": schema["components"], **response["schema"]}
    validator = jsonschema.Draft202012Validator(
        root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


@pytest.fixture
def api(api_client_for, user_for):
    return api_client_for(user_for(roles.MANAGER))


@pytest.mark.parametrize("url,query", REQUESTS)
def test_report_responses_conform_to_the_schema(schema, api, world, may, url, query):
    build_changes(world, may)
    build_releases(world)
    build_backups(world)
    with time_machine.travel(REPORT_NOW, tick=False):
        response = api.get(url, query)
    assert response.status_code == 200
    _validate(schema, url, response.json())


def test_the_sla_history_conforms_to_the_schema(schema, api, may):
    with time_machine.travel(REPORT_NOW, tick=False):
        response = api.get(f"/api/v1/reports/sla/incidents/{may['A'].pk}/")
    assert response.status_code == 200
    _validate(schema, "/api/v1/reports/sla/incidents/{id}/", response.json())


def test_the_check_catches_an_undocumented_or_mistyped_figure(schema, api, may):
    with time_machine.travel(REPORT_NOW, tick=False):
        body = api.get("/api/v1/reports/sla/", MAY).json()
    body["totals"]["surprise"] = 1
    with pytest.raises(AssertionError, match="surprise"):
        _validate(schema, "/api/v1/reports/sla/", body)
    del body["totals"]["surprise"]
    body["by_month"][0]["tickets"] = None
    with pytest.raises(AssertionError, match="tickets"):
        _validate(schema, "/api/v1/reports/sla/", body)
