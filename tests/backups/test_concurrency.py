"""Races that matter, on PostgreSQL with real threads: a backup job's retried report racing
the original, and two beat ticks scheduling the same slot."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from backups import services
from backups.alerts import ALERT_ACTION
from backups.models import BackupPolicy, BackupRun
from itsm.models import AuditEvent
from tests.backups.factories import BackupPolicyFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def run_together(count, work):
    """Start `count` threads at one barrier; collect what each returned or raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("status", ["succeeded", "failed"])
def test_concurrent_duplicate_reports_make_one_run(status):
    policy = BackupPolicyFactory()
    slug = policy.target.slug

    def report(_i):
        return services.run_report(
            actor=None,
            source="api",
            target=slug,
            external_id="job-race",
            status=status,
            checksum="ab" * 32 if status == "succeeded" else "",
            message="exit 2",
        )

    results = run_together(8, report)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert BackupRun.objects.count() == 1
    run = BackupRun.objects.get()
    assert run.status == status
    assert sum(1 for _run, created, _changed in results if created) == 1
    actions = list(AuditEvent.objects.for_object(run).values_list("action", flat=True))
    expected = ["created", "start", "finish"] if status == "succeeded" else ["created", "fail"]
    assert [a for a in actions if a != ALERT_ACTION] == expected
    assert actions.count(ALERT_ACTION) == (1 if status == "failed" else 0)


def test_concurrent_ticks_schedule_each_slot_once():
    BackupPolicy.objects.filter(target__is_portal=True).update(is_active=False)
    slot = timezone.now() - timedelta(minutes=1)
    for _ in range(5):
        BackupPolicyFactory(interval=timedelta(hours=6), next_run_at=slot)
    results = run_together(4, lambda _i: services.schedule_due_runs())
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(len(r) for r in results) == 5
    assert BackupRun.objects.filter(origin="schedule").count() == 5
