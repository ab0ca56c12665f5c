"""Precision with real processes: beat, a worker and Redis fire due timers within 30 s.

The sweep interval is 1 s here; bench/timers_precision.py measures the default 15 s.
Probes armed without an ETA task show the sweeper alone; the others the fast path.
"""

import os

import pytest
from django.db import connection

from tests.conftest import redis_url
from tests.timers.live import Portal, create_database, drop_database

pytestmark = pytest.mark.redis
REQUIREMENT_S = 30  # issue 3: a due timer acts within 30 seconds of its deadline


def _measure(portal: Portal) -> dict[str, list[float]]:
    with portal:
        portal.wait_until_swept()
        probes = portal.arm_probes([(3, False)] * 4 + [(3, True)] * 4)
        fired = portal.wait_until_fired(probes, timeout=120)
    assert len(fired) == len(probes), "some probes never fired"
    by_path: dict[str, list[float]] = {}
    for pk, late in fired.items():
        by_path.setdefault(probes[pk], []).append(late.total_seconds())
    print(by_path)
    return by_path


def test_sqlite_beat_and_worker_fire_due_timers_within_30_seconds(tmp_path):
    by_path = _measure(Portal(tmp_path, redis_url=redis_url(), sweep_interval=1))
    assert max(by_path["sweep only"] + by_path["fast path"]) < REQUIREMENT_S


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_beat_and_worker_fire_due_timers_within_30_seconds(tmp_path):
    s = connection.settings_dict
    admin = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/postgres"
    name = f"live_{os.environ.get('ITSM_TEST_DB_SUFFIX', 'timers')}"
    url = create_database(admin, name)
    try:
        by_path = _measure(
            Portal(tmp_path, redis_url=redis_url(), database_url=url, sweep_interval=1)
        )
    finally:
        drop_database(admin, name)
    assert max(by_path["sweep only"] + by_path["fast path"]) < REQUIREMENT_S
