import pytest
from django.core.management import call_command

from itsm import roles
from tests.itsm.factories import ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_anonymous_api_access_is_refused_with_the_json_error_format(client):
    response = client.get("/api/v1/services/")
    assert response.status_code in (401, 403)
    assert set(response.json()["error"]) >= {"code", "message"}


def test_token_authentication_and_pagination(
    make_user, api_client_for, django_assert_max_num_queries
):
    team = TeamFactory()
    for _ in range(30):
        ServiceFactory(owner_team=team)
    client = api_client_for(make_user(roles.REQUESTER))
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/services/?page_size=10")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 30 and len(body["results"]) == 10 and body["next"]
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/services/?page_size=30").status_code == 200


def test_filters_apply(make_user, api_client_for):
    a, b = TeamFactory(slug="a"), TeamFactory(slug="b")
    ServiceFactory(owner_team=a, slug="one")
    ServiceFactory(owner_team=b, slug="two")
    client = api_client_for(make_user())
    slugs = [
        s["slug"] for s in client.get("/api/v1/services/?owner_team__slug=b").json()["results"]
    ]
    assert slugs == ["two"]


def test_writes_need_the_model_permission(make_user, api_client_for):
    team = TeamFactory(slug="ops")
    payload = {
        "name": "Mail",
        "slug": "mail",
        "owner_team": "ops",
        "criticality": 2,
        "hours": "24x7",
    }
    response = api_client_for(make_user(roles.REQUESTER)).post(
        "/api/v1/services/", payload, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    response = api_client_for(make_user(roles.ADMINISTRATOR)).post(
        "/api/v1/services/", payload, format="json"
    )
    assert response.status_code == 201, response.json()
    assert team.services.count() == 1


def test_bad_input_is_a_400_with_details(make_user, api_client_for):
    client = api_client_for(make_user(roles.ADMINISTRATOR))
    response = client.post("/api/v1/services/", {"name": ""}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "name" in error["details"]


def test_me_shows_roles_and_teams(make_user, api_client_for):
    user = make_user(roles.ONCALL)
    TeamFactory(slug="ops").members.add(user)
    body = api_client_for(user).get("/api/v1/me/").json()
    assert body["roles"] == ["oncall"] and body["teams"] == ["ops"]


def test_audit_trail_is_for_managers_only(make_user, api_client_for):
    assert (
        api_client_for(make_user(roles.REQUESTER)).get("/api/v1/audit-events/").status_code == 403
    )
    assert api_client_for(make_user(roles.MANAGER)).get("/api/v1/audit-events/").status_code == 200


def test_openapi_schema_validates(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/services/" in out.read_text()


def test_schema_and_docs_need_authentication(client, make_user):
    assert client.get("/api/schema/").status_code in (401, 403)
    client.force_login(make_user())
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar" in docs or "/static/" in docs
    assert "cdn.jsdelivr" not in docs


def test_unknown_api_paths_answer_json(make_user, api_client_for):
    response = api_client_for(make_user()).get("/api/v1/no-such-thing/1.5e-3/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_deleting_a_team_still_in_use_is_a_409(make_user, api_client_for):
    service = ServiceFactory()
    client = api_client_for(make_user(roles.ADMINISTRATOR))
    response = client.delete(f"/api/v1/teams/{service.owner_team.slug}/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "in_use"


def test_schema_documents_the_error_format():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/services/"]["post"]
    assert {"400", "401", "403", "409", "429"} <= set(operation["responses"])


def test_catalogue_writes_are_audited_with_actor_and_source(make_user, api_client_for):
    from itsm.models import AuditEvent

    admin = make_user(roles.ADMINISTRATOR)
    client = api_client_for(admin)
    TeamFactory(slug="ops")
    payload = {"name": "Mail", "slug": "mail", "owner_team": "ops", "criticality": 2,
               "hours": "24x7"}  # fmt: skip
    assert client.post("/api/v1/services/", payload, format="json").status_code == 201
    assert (
        client.patch("/api/v1/services/mail/", {"criticality": 1}, format="json").status_code == 200
    )
    assert client.delete("/api/v1/services/mail/").status_code == 204
    events = list(
        AuditEvent.objects.filter(content_type__model="service").order_by("pk")
        .values_list("action", "actor", "source", "payload")
    )  # fmt: skip
    assert [e[:3] for e in events] == [
        ("created", admin.pk, "api"), ("updated", admin.pk, "api"), ("deleted", admin.pk, "api"),
    ]  # fmt: skip
    assert events[1][3] == {"fields": ["criticality"]}


def test_a_service_cannot_depend_on_itself(make_user, api_client_for):
    service = ServiceFactory(slug="db")
    client = api_client_for(make_user(roles.ADMINISTRATOR))
    response = client.patch("/api/v1/services/db/", {"depends_on": ["db"]}, format="json")
    assert response.status_code == 400
    assert "depends_on" in response.json()["error"]["details"]
    assert not service.depends_on.exists()


def test_the_catalogue_service_checks_permissions_itself(make_user):
    from django.core.exceptions import PermissionDenied

    from itsm import catalogue

    with pytest.raises(PermissionDenied):
        catalogue.team_save(team=None, actor=make_user(roles.REQUESTER), source="api",
                            name="X", slug="x")  # fmt: skip
