"""The page store's shared lists and single render (itsm/pagecache/): users with the same
permissions share a list page unless it shows their own records, and one request renders a
missing page while the others wait for it."""

import threading
import time

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.authtoken.models import Token

from itsm import pagecache, roles
from itsm.pagecache import store
from tests.changes.factories import ChangeFactory
from tests.incidents.factories import UserFactory, make_world, report
from tests.itsm.test_pagecache import get

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    world = make_world()
    twin = UserFactory(username="twin")  # the on-call engineer's permissions, another name
    twin.groups.add(Group.objects.get(name=roles.ONCALL))
    world.users["twin"] = twin
    return world


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_responders_with_the_same_permissions_share_the_queue_but_not_their_names(world):
    report(world, priority="P1", title="disk full")
    oncall, twin = as_user(world.user("oncall")), as_user(world.user("twin"))
    url = reverse("incidents:queue")
    get(twin, url)  # twin's user and permissions are now in the cache too
    first, first_queries = get(oncall, url + "?q=")
    again, again_queries = get(twin, url + "?q=")
    assert first_queries > 0 and again_queries == 0  # twin got the page oncall rendered
    assert "disk full" in again
    assert "</i> twin</button>" in again and "oncall</button>" not in again
    assert "</i> oncall</button>" in first and "twin</button>" not in first


@pytest.mark.parametrize(
    "url_name, query",
    [
        ("incidents:queue", "?mine=1"),
        ("incidents:list", "?assignee=me"),
        ("incidents:list", "?status=detected&assignee=me"),
        ("changes:list", "?mine=1"),
        ("changes:list", "?mine=%20yes"),
    ],
)
def test_a_list_of_my_own_records_is_never_shared(world, url_name, query):
    oncall, twin = as_user(world.user("oncall")), as_user(world.user("twin"))
    mine = report(world, priority="P2", title="mine only")
    mine.__class__.objects.filter(pk=mine.pk).update(assignee=world.user("oncall"))
    ChangeFactory(title="my own change", requester=world.user("oncall"))
    url = reverse(url_name) + query
    page, _ = get(oncall, url)
    assert "mine only" in page or "my own change" in page
    other, queries = get(twin, url)
    assert queries > 0
    assert "mine only" not in other and "my own change" not in other


def test_people_who_see_only_their_own_incidents_never_share_a_list(world, api_client_for):
    # Without the permission to read every incident, each sees what they reported.
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    incident = report(world, priority="P3", title="reported by alice")
    incident.__class__.objects.filter(pk=incident.pk).update(reported_by=alice)
    pages = {user: as_user(user) for user in (alice, bob)}  # logins and tokens are writes:
    apis = {user: api_client_for(user) for user in (alice, bob)}  # made before any page
    url = reverse("incidents:list")
    assert "reported by alice" in get(pages[alice], url)[0]
    assert "reported by alice" not in get(pages[bob], url)[0]

    def titles(user):
        response = apis[user].get("/api/v1/incidents/")
        assert response.status_code == 200
        return {row["title"] for row in response.json()["results"]}

    assert titles(alice) == {"reported by alice"}
    assert titles(bob) == set()


def test_shared_api_lists_follow_permissions_and_me(world, api_client_for):
    mine = report(world, priority="P2", title="mine only")
    mine.__class__.objects.filter(pk=mine.pk).update(assignee=world.user("oncall"))
    url = "/api/v1/incidents/"

    def titles(user, query=""):
        response = api_client_for(user).get(url + query)
        assert response.status_code == 200
        return {row["title"] for row in response.json()["results"]}

    assert titles(world.user("oncall")) == titles(world.user("twin"))
    assert "mine only" in titles(world.user("oncall"), "?assignee=me")
    assert titles(world.user("twin"), "?assignee=me") == set()


# --- One render per missing page -----------------------------------------------------------


def _request(user):
    request = RequestFactory().get("/somewhere/")
    request.user = user
    return request


def test_concurrent_requests_for_a_missing_page_render_it_once(world):
    renders = []

    def render():
        renders.append(threading.get_ident())
        time.sleep(0.3)
        return HttpResponse(b"the page")

    answers = []

    def ask(user):
        answers.append(pagecache.serve(_request(user), "pagecache:test:once", render))

    threads = [
        threading.Thread(target=ask, args=(world.user(name),))
        for name in ("oncall", "twin", "ops_manager", "manager")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(renders) == 1
    assert [answer.content for answer in answers] == [b"the page"] * 4
    assert cache.get(store._render_lock("pagecache:test:once")) is None


def test_a_waiting_request_renders_itself_when_the_other_render_stores_nothing(world):
    key = "pagecache:test:failed"
    cache.add(store._render_lock(key), 1)  # another request is rendering ...
    threading.Timer(0.1, cache.delete, args=[store._render_lock(key)]).start()  # ... fails
    started = time.monotonic()
    answer = pagecache.serve(_request(world.user("oncall")), key, lambda: HttpResponse(b"own"))
    assert answer.content == b"own"
    assert time.monotonic() - started < 2  # it stopped waiting when the lock went


def test_a_waiting_request_gives_up_after_the_wait(world, monkeypatch):
    monkeypatch.setattr(store, "RENDER_WAIT_SECONDS", 0.2)
    key = "pagecache:test:stuck"
    cache.add(store._render_lock(key), 1)  # a render that never ends
    answer = pagecache.serve(_request(world.user("oncall")), key, lambda: HttpResponse(b"own"))
    assert answer.content == b"own"


def test_an_error_in_the_render_releases_the_claim(world):
    key = "pagecache:test:error"

    def broken():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        pagecache.serve(_request(world.user("oncall")), key, broken)
    assert cache.get(store._render_lock(key)) is None


def test_tokens_are_distinct_callers_of_a_shared_api_list(world, api_client_for):
    # Each caller is authenticated on its own: a revoked token is refused, shared list or not.
    url = "/api/v1/incidents/"
    client = api_client_for(world.user("twin"))
    assert client.get(url).status_code == 200
    Token.objects.filter(user=world.user("twin")).delete()
    refused = client.get(url)
    assert refused.status_code == 403 and "token" in str(refused.json()).lower()


# --- Counters per table --------------------------------------------------------------------


@pytest.fixture
def stored(world):
    """An incident and a change, with the queue, the change list and the change page stored
    for the on-call engineer."""
    incident = report(world, priority="P1", title="disk full")
    change = ChangeFactory(title="Patch the kernel")
    oncall = as_user(world.user("oncall"))
    queue, changes = reverse("incidents:queue"), reverse("changes:list")
    detail = reverse("changes:detail", args=[change.pk])
    for url in (queue, changes, detail):
        get(oncall, url)
    return incident, change, oncall, queue, changes, detail


def test_an_incident_write_ends_the_queue_but_not_the_change_pages(stored):
    from incidents.models import Incident

    incident, change, oncall, queue, changes, detail = stored
    Incident.objects.filter(pk=incident.pk).update(
        title="disk replaced", caused_by_change_id=change.pk
    )
    page, queries = get(oncall, queue)
    assert "disk replaced" in page and queries > 0
    assert get(oncall, changes)[1] == 0
    # The stored change page; only its card of caused incidents is worked out anew.
    page, queries = get(oncall, detail)
    assert queries == 1 and "Patch the kernel" in page
    assert 'id="caused-incidents"' in page and "disk replaced" in page
    page, queries = get(oncall, detail)
    assert queries == 0 and "disk replaced" in page  # the card is kept until the next write


def test_a_change_write_ends_the_change_pages_but_not_the_queue(stored):
    _incident, change, oncall, queue, changes, detail = stored
    type(change).objects.filter(pk=change.pk).update(title="Patch the kernel again")
    assert get(oncall, queue)[1] == 0
    for url in (changes, detail):
        page, queries = get(oncall, url)
        assert "Patch the kernel again" in page and queries > 1


def test_a_write_to_an_unnamed_table_ends_every_page(world):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no writes inside a WITH; PostgreSQL runs this test")
    incident = report(world, priority="P1", title="disk full")
    oncall = as_user(world.user("oncall"))
    queue, changes = reverse("incidents:queue"), reverse("changes:list")
    get(oncall, queue), get(oncall, changes)
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH renamed AS (UPDATE incidents_incident SET title = %s WHERE id = %s RETURNING id)"
            " SELECT count(*) FROM renamed",
            ["disk replaced", incident.pk],
        )
    assert "disk replaced" in get(oncall, queue)[0]
    assert get(oncall, changes)[1] > 0


def test_a_write_while_the_page_renders_leaves_the_stored_page_out_of_date(world):
    from incidents.models import Incident

    report(world, priority="P1")
    renders = []

    def render():
        renders.append(Incident.objects.count())
        # Another process writes after this render's query and before its page is stored.
        cache.incr(pagecache.table_key("incidents_incident"))
        return HttpResponse(b"the page")

    user = world.user("oncall")
    for _ in range(2):
        pagecache.serve(_request(user), "pagecache:test:race", render)
    assert len(renders) == 2


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ('SELECT "a"."id" FROM "incidents_incident" "a" INNER JOIN "itsm_team" ON 1=1',
         {"incidents_incident", "itsm_team"}),
        ('SELECT 1 FROM "changes_change" WHERE EXISTS (SELECT 1 FROM "incidents_incident" U0)',
         {"changes_change", "incidents_incident"}),
        ("select * from reports_incidentfact left join itsm_service on true",
         {"reports_incidentfact", "itsm_service"}),
        ('SELECT "session_data" FROM "django_session" WHERE "session_key" = %s', set()),
    ],
)  # fmt: skip
def test_which_tables_a_query_reads(sql, tables):
    from itsm.pagecache import versions

    assert versions.read_tables(sql) == tables
