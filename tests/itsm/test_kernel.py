import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.utils import DatabaseError

from itsm import roles
from itsm.audit import record_event
from itsm.models import AuditEvent, Service, impacted_services
from tests.itsm.factories import ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_every_role_exists_as_a_group():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)


def test_administrators_may_edit_the_catalogue(make_user):
    assert make_user(roles.ADMINISTRATOR).has_perm("itsm.change_service")
    assert not make_user(roles.REQUESTER).has_perm("itsm.change_service")


def test_impacted_services_follow_dependencies_upwards():
    db = ServiceFactory(slug="db")
    api = ServiceFactory(slug="api")
    shop = ServiceFactory(slug="shop")
    wiki = ServiceFactory(slug="wiki")
    api.depends_on.add(db)
    shop.depends_on.add(api, db)
    assert {s.slug for s in db.impacted_services()} == {"db", "api", "shop"}
    assert {s.slug for s in wiki.impacted_services()} == {"wiki"}


def test_impact_of_many_services_costs_one_query_per_level(django_assert_num_queries):
    """Impact starts from all the services at once, not one walk per service."""
    databases = ServiceFactory.create_batch(5)
    apis = ServiceFactory.create_batch(5)
    for db, api in zip(databases, apis, strict=True):
        api.depends_on.add(db)
    front = ServiceFactory(slug="front")
    front.depends_on.add(*apis)
    cycle = ServiceFactory(slug="cycle")
    cycle.depends_on.add(front)
    front.depends_on.add(cycle)  # a cycle must still end
    # level 1: the apis; level 2: front; level 3: cycle; level 4: nothing new
    with django_assert_num_queries(4):
        found = impacted_services(databases)
    assert len(found) == 12


def test_audit_events_are_append_only(make_user):
    team = TeamFactory()
    event = record_event(team, action="created", actor=make_user(), source="web", after="")
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(action="edited")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert list(AuditEvent.objects.for_object(team).values_list("action", flat=True)) == ["created"]


@pytest.mark.postgres
def test_the_database_refuses_to_rewrite_audit_events(make_user):
    event = record_event(TeamFactory(), action="created", source="api")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE itsm_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM itsm_auditevent WHERE id = %s", [event.pk])


def test_service_calendar_comes_from_the_owner_team():
    service = ServiceFactory()
    assert service.calendar().country == "KR"
    assert Service.objects.count() == 1


def test_seed_demo_creates_one_user_per_role_and_is_repeatable(capsys):
    from django.core.management import call_command

    call_command("seed_demo", password="demo-pass-123")
    call_command("seed_demo")
    out = capsys.readouterr().out
    for role in roles.ROLES:
        assert Group.objects.get(name=role).user_set.exists(), role
    assert "demo-pass-123" in out and "(unchanged)" in out
    assert Service.objects.get(slug="web-shop").depends_on.count() == 2
