"""Identical deliveries at the same moment (Alertmanager retries, two Alertmanager replicas
in a cluster) open one incident. Real threads, real PostgreSQL row locks."""

import threading
import time

import pytest
from django.db import connection, connections

from incidents.models import Incident
from integrations.models import AlertGroup, Delivery
from integrations.services import incident_bridge

from .factories import am_alert, am_payload, make_integration, make_world

# serialized_rollback: roles, calendars and the priority matrix come from data migrations,
# which a transactional test's flush would otherwise remove for the tests after it.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sessions_waiting_on_a_lock() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def wait_for(condition, timeout: float = 10.0) -> None:
    """Poll a database condition (not a sleep standing in for one)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.01)


def in_thread(results: list, func):
    def run():
        try:
            results.append(func())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_the_second_of_two_simultaneous_first_deliveries_waits_and_joins(post_alerts, monkeypatch):
    world = make_world()
    _integration, token = make_integration(world)
    payload = am_payload([am_alert()])
    inside, release = threading.Event(), threading.Event()
    original = incident_bridge.open_incident

    def held_open(**kwargs):
        inside.set()  # the first delivery has inserted the group and holds its transaction
        assert release.wait(10)
        return original(**kwargs)

    monkeypatch.setattr(incident_bridge, "open_incident", held_open)
    results: list = []
    first = in_thread(results, lambda: post_alerts(token, payload).status_code)
    assert inside.wait(10)
    second = in_thread(results, lambda: post_alerts(token, payload).status_code)
    wait_for(lambda: sessions_waiting_on_a_lock() >= 1)  # blocked on the group key
    release.set()
    first.join(20)
    second.join(20)
    assert sorted(results) == [200, 201]
    assert Incident.objects.count() == 1
    assert AlertGroup.objects.get().delivery_count == 2
    assert sorted(Delivery.objects.values_list("outcome", flat=True)) == ["created", "duplicate"]


def test_many_identical_deliveries_at_once_open_one_incident(post_alerts):
    world = make_world()
    _integration, token = make_integration(world)
    payload = am_payload([am_alert(labels={"instance": "db1"})], group_key="storm")
    barrier = threading.Barrier(8)
    results: list = []

    def deliver():
        barrier.wait(10)
        return post_alerts(token, payload).status_code

    threads = [in_thread(results, deliver) for _ in range(8)]
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [200] * 7 + [201]
    assert Incident.objects.count() == 1
    group = AlertGroup.objects.get()
    assert group.delivery_count == 8 and group.alert_count == 1
