"""The page store on a real Redis server, as in production: counters moved with INCR,
claims taken with SET NX, entries and counters read back with MGET."""

import os
import threading
import time
import uuid

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from incidents.models import Incident
from itsm import pagecache
from tests.changes.factories import ChangeFactory
from tests.incidents.factories import make_world, report
from tests.itsm.test_pagecache import get

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


@pytest.fixture
def redis_cache(settings):
    """The default cache on Redis under a prefix of its own (other tests share the server:
    nothing here flushes it)."""
    prefix = f"test-pagecache-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "itsm.cache.ReusingRedisCache",
            "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "KEY_PREFIX": prefix,
        }
    }
    yield cache
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_pages_follow_writes_table_by_table_on_redis(redis_cache, client):
    world = make_world()
    incident = report(world, priority="P1", title="disk full")
    change = ChangeFactory(title="Patch the kernel")
    client.force_login(world.user("oncall"))
    queue, changes = reverse("incidents:queue"), reverse("changes:list")
    for url in (queue, changes):
        assert get(client, url)[1] > 0
        assert get(client, url)[1] == 0  # session, user, page and counters from Redis
    Incident.objects.filter(pk=incident.pk).update(title="disk replaced")
    page, queries = get(client, queue)
    assert "disk replaced" in page and queries > 0
    assert get(client, changes)[1] == 0
    type(change).objects.filter(pk=change.pk).update(title="Patch it again")
    assert "Patch it again" in get(client, changes)[0]
    assert get(client, queue)[1] == 0


def test_a_lost_counter_on_redis_ends_the_pages_built_under_it(redis_cache, client):
    world = make_world()
    report(world, priority="P1", title="disk full")
    client.force_login(world.user("oncall"))
    queue = reverse("incidents:queue")
    get(client, queue)
    assert get(client, queue)[1] == 0
    redis_cache.delete(pagecache.table_key("incidents_incident"))  # evicted, or a restart
    assert get(client, queue)[1] > 0


def test_fifty_requests_for_a_missing_page_render_it_once_on_redis(redis_cache):
    user = make_world().user("oncall")
    renders, answers = [], []

    def render():
        renders.append(1)
        time.sleep(0.3)
        return HttpResponse(b"the page")

    def ask():
        request = RequestFactory().get("/somewhere/")
        request.user = user
        answers.append(pagecache.serve(request, "pagecache:test:fifty", render).content)

    threads = [threading.Thread(target=ask) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(renders) == 1 and answers == [b"the page"] * 50
