"""The page store (itsm/pagecache/): a stored page is never shown once its data changed."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import Incident
from itsm import pagecache
from tests.incidents.factories import make_world, report

pytestmark = pytest.mark.django_db
INCIDENTS = pagecache.table_key("incidents_incident")

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ANY_TOKEN = re.compile(r"\b[A-Za-z0-9]{64}\b")  # a masked CSRF token


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def oncall(world, client):
    client.force_login(world.user("oncall"))
    return client


def get(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_a_repeated_page_costs_no_query(world, oncall):
    report(world, priority="P1", title="disk full")
    first, first_queries = get(oncall, reverse("incidents:queue"))
    again, again_queries = get(oncall, reverse("incidents:queue"))
    assert "disk full" in again
    assert first_queries > 0
    assert again_queries == 0  # session, user and page all came from the cache
    # The same page but for the per-request CSRF token.
    assert ANY_TOKEN.sub("", first) == ANY_TOKEN.sub("", again)
    assert pagecache.CSRF_PLACEHOLDER not in first + again


@pytest.mark.parametrize("how", ["save", "queryset update", "raw sql"])
def test_every_kind_of_write_shows_on_the_next_page(world, oncall, how):
    incident = report(world, priority="P1", title="disk full")
    assert "disk full" in get(oncall, reverse("incidents:queue"))[0]
    if how == "save":
        incident.title = "disk replaced"
        incident.save(update_fields=["title"])
    elif how == "queryset update":
        Incident.objects.filter(pk=incident.pk).update(title="disk replaced")
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Incident._meta.db_table} SET title = %s WHERE id = %s",
                ["disk replaced", incident.pk],
            )
    page, _ = get(oncall, reverse("incidents:queue"))
    assert "disk replaced" in page and "disk full" not in page


def test_the_csrf_token_of_a_stored_page_is_the_requests_own_and_accepted(world):
    incident = report(world, priority="P1", title="disk full")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("oncall"))
    first, _ = get(client, reverse("incidents:queue"))
    stored, queries = get(client, reverse("incidents:queue"))
    assert queries == 0
    tokens = set(TOKEN.findall(first)) | set(TOKEN.findall(stored))
    assert len(tokens) == 2  # one per answer, each masked afresh
    response = client.post(
        reverse("incidents:action", args=[incident.pk, "acknowledge"]),
        {"csrfmiddlewaretoken": TOKEN.findall(stored)[0], "next": "queue"},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.is_acknowledged
    page, _ = get(client, reverse("incidents:queue"))
    assert "Acknowledge</button>" not in page


def test_each_user_language_and_htmx_request_gets_its_own_page(world, client):
    report(world, priority="P1", title="disk full")
    url = reverse("incidents:queue")
    client.force_login(world.user("oncall"))
    assert "Acknowledge</button>" in get(client, url)[0]
    client.force_login(world.user("executive"))  # may read the queue, may not acknowledge
    executive_page, queries = get(client, url)
    assert queries > 0 and "Acknowledge</button>" not in executive_page
    rows, queries = get(client, url, HTTP_HX_REQUEST="true")
    assert queries > 0 and "<html" not in rows and "disk full" in rows
    world.user("executive").__class__.objects.filter(username="executive").update(language="")
    korean, _ = get(client, url, HTTP_ACCEPT_LANGUAGE="ko")
    japanese, queries = get(client, url, HTTP_ACCEPT_LANGUAGE="ja")
    assert queries > 0
    assert 'lang="ko"' in korean and 'lang="ja"' in japanese


def test_a_page_with_messages_is_neither_stored_nor_served_from_the_store(world, client):
    client.force_login(world.user("ops_manager"))
    url = reverse("reports:sla") + "?from=not-a-month"
    first, _ = get(client, url)
    again, queries = get(client, url)
    assert "Filters ignored" in first and "Filters ignored" in again
    assert queries > 0  # rendered again, with its message


def test_pages_follow_the_clock_within_the_slot(world, oncall, settings):
    report(world, priority="P1", title="disk full")
    url = reverse("incidents:queue")
    get(oncall, url)
    assert get(oncall, url)[1] == 0
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2 * settings.PAGE_CACHE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert get(oncall, url)[1] > 0


def test_the_store_is_off_without_a_shared_cache(world, oncall, settings):
    settings.PAGE_CACHE_SECONDS = 0
    get(oncall, reverse("incidents:queue"))
    assert get(oncall, reverse("incidents:queue"))[1] > 0


def test_api_lists_are_stored_per_caller_and_follow_writes(world, api_client_for):
    incident = report(world, priority="P1", title="disk full")
    api = api_client_for(world.user("oncall"))
    url = "/api/v1/incidents/"
    first = api.get(url)
    with CaptureQueriesContext(connection) as queries:
        again = api.get(url)
    assert again.status_code == 200 and again["Content-Type"] == "application/json"
    assert again.json() == first.json()
    assert len(queries) == 0  # token, page: all from the cache
    Incident.objects.filter(pk=incident.pk).update(title="disk replaced")
    assert api.get(url).json()["results"][0]["title"] == "disk replaced"
    other = api_client_for(world.user("executive"))
    with CaptureQueriesContext(connection) as queries:
        other.get(url)
    assert len(queries) > 1
    browsable = api.get(url, HTTP_ACCEPT="text/html")
    assert browsable["Content-Type"].startswith("text/html")


@pytest.mark.django_db(transaction=True)
def test_a_write_moves_the_version_when_it_runs_and_again_when_it_commits(world):
    incident = report(world, priority="P1", title="disk full")
    before = pagecache.current_version(INCIDENTS)
    with transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(title="disk replaced")
        during = pagecache.current_version(INCIDENTS)
        Incident.objects.filter(pk=incident.pk).update(title="disk replaced again")
        assert pagecache.current_version(INCIDENTS) > during > before
        inside = pagecache.current_version(INCIDENTS)
    # A page rendered inside the transaction from data other requests could not yet see is
    # stored under a version that the commit leaves behind.
    assert pagecache.current_version(INCIDENTS) > inside


@pytest.mark.django_db(transaction=True)
def test_reading_pages_does_not_move_the_version(world):
    client = Client()
    client.force_login(world.user("oncall"))  # a session and last_login: writes, before
    counters = [pagecache.VERSION_KEY, INCIDENTS, pagecache.table_key("changes_change")]
    before = [pagecache.current_version(key) for key in counters]
    for _ in range(2):
        client.get(reverse("incidents:queue"))
        client.get(reverse("changes:list"))
    assert [pagecache.current_version(key) for key in counters] == before


def test_a_write_that_changes_no_row_or_only_the_heartbeat_keeps_the_version(world):
    from itsm.models import Heartbeat

    incident = report(world, priority="P4")
    before = pagecache.current_version(INCIDENTS)
    Incident.objects.filter(pk=-1).update(title="nothing")
    Heartbeat.objects.update_or_create(name="beat", defaults={"at": dt.datetime.now(dt.UTC)})
    assert pagecache.current_version(INCIDENTS) == before
    Incident.objects.filter(pk=incident.pk).update(title="something")
    assert pagecache.current_version(INCIDENTS) > before


def test_a_lost_version_restarts_above_every_stored_page():
    from django.core.cache import cache

    old = pagecache.current_version()
    cache.delete(pagecache.VERSION_KEY)
    assert pagecache.current_version() > old
    cache.delete(pagecache.VERSION_KEY)
    pagecache.bump_version()
    assert pagecache.current_version() > old


@pytest.mark.parametrize(
    ("sql", "write"),
    [
        ('INSERT INTO "incidents_incident" ("title") VALUES (%s)', True),
        ('  UPDATE "incidents_incident" SET "title" = %s', True),
        ('DELETE FROM "changes_change" WHERE "id" = %s', True),
        ("TRUNCATE incidents_incident", True),
        ('INSERT OR IGNORE INTO "itsm_user_groups" ("user_id") VALUES (%s)', True),  # SQLite
        ('INSERT INTO "itsm_user_groups" ("user_id") VALUES (%s) ON CONFLICT DO NOTHING', True),
        ('INSERT OR IGNORE INTO "django_session" ("session_key") VALUES (%s)', False),
        ('UPDATE "itsm_heartbeat" SET "at" = %s', False),
        ('WITH moved AS (UPDATE "x" SET "a" = 1 RETURNING 1) SELECT * FROM moved', True),
        ('SELECT "updated_at" FROM "incidents_incident"', False),
        ('SELECT "id" FROM "incidents_incident" WHERE "id" = 1 FOR UPDATE', False),
        ("WITH months AS (SELECT 1) SELECT * FROM months", False),
        ('UPDATE "django_session" SET "expire_date" = %s', False),
        ('INSERT INTO "axes_accessattempt" ("username") VALUES (%s)', False),
    ],
)
def test_which_statements_are_writes(sql, write):
    assert pagecache.is_write(sql) is write


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ('INSERT INTO "incidents_incident" ("title") VALUES (%s)', "incidents_incident"),
        ("\nINSERT INTO reports_incidentfact (a) SELECT 1 FROM x", "reports_incidentfact"),
        ('UPDATE "Changes_Change" SET "title" = %s', "changes_change"),
        ("TRUNCATE incidents_incident, changes_change", ""),  # several tables: every page
        ('UPDATE "a" SET "x" = 1; DELETE FROM "b"', ""),
        ('UPDATE "a" SET "x" = \'a;b\';', ""),  # conservative: a ";" inside counts too
        ('DELETE FROM "changes_change" WHERE "id" = %s;', "changes_change"),
    ],
)
def test_which_table_a_write_moves(sql, table):
    assert pagecache.written_table(sql) == table


# --- A page shared between users: the change detail page --------------------------------


@pytest.fixture
def draft():
    from itsm import roles
    from tests.changes.factories import ChangeFactory, role_user

    requester = role_user(roles.REQUESTER, username="alice")
    colleague = role_user(roles.REQUESTER, username="bob")  # same role, not the requester
    carol = role_user(roles.REQUESTER, username="carol")
    return ChangeFactory(requester=requester), requester, colleague, carol


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_shared_page_is_each_readers_own_but_for_what_they_may_do(draft):
    change, alice, bob, carol = draft
    url = reverse("changes:detail", args=[change.pk])
    clients = [as_user(user) for user in (alice, bob, carol)]  # logging in is a write
    alice_page, alice_queries = get(clients[0], url)
    bob_page, bob_queries = get(clients[1], url)
    carol_page, carol_queries = get(clients[2], url)
    # Only the requester may edit her draft; bob and carol get the same page but their name.
    assert reverse("changes:edit", args=[change.pk]) in alice_page
    assert reverse("changes:edit", args=[change.pk]) not in bob_page + carol_page
    assert "</i> alice</button>" in alice_page
    assert "</i> bob</button>" in bob_page and "alice</button>" not in bob_page
    assert "</i> carol</button>" in carol_page and "bob" not in carol_page
    # bob's page was rendered (from the change alice's request loaded), carol's was stored
    assert carol_queries < bob_queries < alice_queries
    assert ANY_TOKEN.sub("", bob_page.replace("bob", "X")) == ANY_TOKEN.sub(
        "", carol_page.replace("carol", "X")
    )
    assert pagecache.USERNAME_PLACEHOLDER not in alice_page + bob_page + carol_page


def test_a_shared_page_follows_writes_and_permissions(draft):
    from django.contrib.auth.models import Permission

    change, _alice, bob, carol = draft
    url = reverse("changes:detail", args=[change.pk])
    bob, carol = as_user(bob), as_user(carol)
    get(bob, url)
    type(change).objects.filter(pk=change.pk).update(title="Patch the kernel")
    assert "Patch the kernel" in get(carol, url)[0]
    # A permission of carol's own changes her navigation, so she gets another page.
    get(bob, url)
    carol_user = draft[3]
    carol_user.user_permissions.add(Permission.objects.get(codename="view_maintenanceplan"))
    get(bob, url)
    assert reverse("maintenance:list") in get(carol, url)[0]
    assert reverse("maintenance:list") not in get(bob, url)[0]


def test_a_missing_change_is_a_404_not_a_stored_page(draft):
    client = as_user(draft[2])
    assert client.get(reverse("changes:detail", args=[999999])).status_code == 404


def test_permissions_come_from_the_cache_until_a_write(world):
    from django.contrib.auth.models import Group

    from itsm import roles

    def fresh(user):
        return type(user).objects.get(pk=user.pk)  # as the next request loads it

    reporter = world.user("reporter")
    assert not fresh(reporter).has_perm("incidents.work_incident")
    with CaptureQueriesContext(connection) as queries:
        assert not fresh(reporter).has_perm("incidents.work_incident")
    assert len(queries) == 1  # the user; the permissions came from the cache
    reporter.groups.add(Group.objects.get(name=roles.ONCALL))
    assert fresh(reporter).has_perm("incidents.work_incident")


def test_a_request_reads_its_user_and_permissions_in_one_cache_read(world, oncall, monkeypatch):
    get(oncall, reverse("incidents:queue"))
    reads, inside_many = [], []
    real_get, real_get_many = cache.get, cache.get_many

    def get_one(key, *args, **kwargs):
        if not inside_many:  # the test cache's get_many calls get per key; Redis's does not
            reads.append(key.split(":")[1])
        return real_get(key, *args, **kwargs)

    def get_many(keys, *args, **kwargs):
        reads.append(sorted(key.split(":")[1] for key in keys))
        inside_many.append(True)
        try:
            return real_get_many(keys, *args, **kwargs)
        finally:
            inside_many.pop()

    monkeypatch.setattr(cache, "get", get_one)
    monkeypatch.setattr(cache, "get_many", get_many)
    get(oncall, reverse("incidents:queue"))
    # Both global counters in one read, the user with its permission set, the page, and the
    # counters of the tables the page was built from in one read.
    assert reads[:3] == [["accounts", "version"], "user", "page"]
    assert len(reads) == 4 and set(reads[3]) == {"table"}


def test_a_deactivated_or_logged_out_user_is_out_on_the_next_request(world, oncall):
    url = reverse("incidents:queue")
    get(oncall, url)
    get(oncall, url)  # user and page now in the cache
    type(world.user("oncall")).objects.filter(username="oncall").update(is_active=False)
    assert oncall.get(url).status_code == 302
    other = as_user(world.user("ops_manager"))
    get(other, url)
    other.post(reverse("logout"))
    assert other.get(url).status_code == 302


def test_a_revoked_token_is_refused_on_the_next_call(world, api_client_for):
    from rest_framework.authtoken.models import Token

    api = api_client_for(world.user("oncall"))
    assert api.get("/api/v1/incidents/").status_code == 200
    assert api.get("/api/v1/incidents/").status_code == 200  # token now in the cache
    Token.objects.filter(user=world.user("oncall")).delete()
    refused = api.get("/api/v1/incidents/")
    assert refused.status_code == 403 and "token" in str(refused.json()).lower()


def test_a_request_reads_the_version_once_and_other_code_every_time():
    from django.core.cache import cache

    seen = []

    def view(request):
        seen.append(pagecache.current_version())
        cache.incr(pagecache.VERSION_KEY)  # another process writes meanwhile
        seen.append(pagecache.current_version())
        pagecache.bump_version()  # this request writes
        seen.append(pagecache.current_version())

    pagecache.PageCacheMiddleware(view)(None)
    assert seen[0] == seen[1] < seen[2]
    outside = pagecache.current_version()
    cache.incr(pagecache.VERSION_KEY)
    assert pagecache.current_version() == outside + 1  # a Celery task never keeps one


@pytest.mark.django_db(transaction=True)
def test_an_incident_write_keeps_the_accounts_version_and_a_user_write_moves_both(world):
    incident = report(world, priority="P4")
    data, accounts = pagecache.current_version(INCIDENTS), pagecache.accounts_version()
    with transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(title="renamed")
        world.user("oncall").__class__.objects.filter(username="oncall").update(language="ko")
        inside = pagecache.accounts_version()
    assert pagecache.accounts_version() > inside > accounts  # moved again by the commit
    assert pagecache.current_version(INCIDENTS) > data
    data, accounts = pagecache.current_version(INCIDENTS), pagecache.accounts_version()
    Incident.objects.filter(pk=incident.pk).update(title="renamed again")
    assert pagecache.current_version(INCIDENTS) > data
    assert pagecache.accounts_version() == accounts
