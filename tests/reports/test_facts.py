"""The incident facts follow the incidents and their clocks: after commit, once per
transaction, never overwritten by an older refresh, rebuilt identically from scratch."""

import datetime as dt

import pytest
import time_machine
from django.db import connection, transaction

from incidents import services
from incidents.models import Incident
from itsm.models import AuditEvent
from reports import facts
from reports.models import IncidentFact
from tests.incidents.factories import report

from .factories import SEOUL

SYSTEM = AuditEvent.Source.SYSTEM
FIELDS = [
    "detected_at", "priority", "status", "is_major", "team_id", "service_id", "mode",
    "response_target_s", "response_s", "response_breached_at", "resolution_target_s",
    "resolution_s", "resolution_breached_at",
]  # fmt: skip


def snapshot():
    return {f.pk: tuple(getattr(f, name) for name in FIELDS) for f in IncidentFact.objects.all()}


def _flushes(callbacks):
    return [cb for cb in callbacks if getattr(cb, "__func__", None) is facts._Pending.flush]


def test_one_refresh_per_transaction_after_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        incident = report(world, priority="P2")
    # Saving the incident and its two clocks scheduled one batch, not three refreshes.
    assert len(_flushes(callbacks)) == 1
    assert not IncidentFact.objects.exists()  # nothing before the commit
    _flushes(callbacks)[0]()
    fact = IncidentFact.objects.get(pk=incident.pk)
    assert (fact.priority, fact.status, fact.response_s) == ("P2", "detected", None)
    assert fact.response_target_s == 30 * 60


def test_each_transition_refreshes_the_fact(world, django_capture_on_commit_callbacks):
    start = dt.datetime(2026, 5, 11, 10, tzinfo=SEOUL)
    with (
        time_machine.travel(start, tick=False),
        django_capture_on_commit_callbacks(execute=False) as filed,
    ):
        incident = report(world, priority="P1")
    for flush in _flushes(filed):
        flush()
    assert IncidentFact.objects.get(pk=incident.pk).response_s is None  # still running
    with (
        time_machine.travel(start + dt.timedelta(minutes=7), tick=False),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        services.incident_acknowledge(
            incident_id=incident.pk, actor=world.user("oncall"), source=SYSTEM
        )
    for flush in _flushes(callbacks):
        flush()
    fact = IncidentFact.objects.get(pk=incident.pk)
    assert fact.status == "acknowledged"
    assert fact.response_s == pytest.approx(7 * 60)


def test_a_rolled_back_transaction_leaves_no_pending_batch(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                report(world, priority="P3")
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        kept = report(world, priority="P4")
    flushes = _flushes(callbacks)
    assert len(flushes) == 1
    flushes[0]()
    assert list(IncidentFact.objects.values_list("pk", flat=True)) == [kept.pk]


def test_an_older_refresh_never_overwrites_a_newer_fact(world):
    incident = report(world, priority="P2")
    facts.refresh([incident.pk])
    future = incident.updated_at + dt.timedelta(hours=1)
    IncidentFact.objects.filter(pk=incident.pk).update(priority="P1", source_updated_at=future)
    facts.refresh([incident.pk])  # computed from an incident older than the fact: ignored
    assert IncidentFact.objects.get(pk=incident.pk).priority == "P1"
    Incident.objects.filter(pk=incident.pk).update(updated_at=future + dt.timedelta(seconds=1))
    facts.refresh([incident.pk])
    assert IncidentFact.objects.get(pk=incident.pk).priority == "P2"


def test_rebuild_equals_the_refreshes_after_commit(may):
    rebuilt = snapshot()
    IncidentFact.objects.all().delete()
    facts.refresh(Incident.objects.values_list("pk", flat=True))
    assert snapshot() == rebuilt
    assert len(rebuilt) == 6  # merged E keeps a fact (status merged), reports leave it out


def test_rebuild_in_small_batches(may):
    expected = snapshot()
    IncidentFact.objects.all().delete()
    assert facts.rebuild(batch=2) == 6
    assert snapshot() == expected


def test_facts_go_with_their_incident(world):
    incident = report(world, priority="P4")
    facts.refresh([incident.pk])
    incident.clocks.all().delete()
    Incident.objects.filter(pk=incident.pk).delete()
    assert not IncidentFact.objects.exists()


def test_fill_if_empty_after_migrate(may):
    IncidentFact.objects.all().delete()
    facts.fill_if_empty(using="default")
    assert IncidentFact.objects.count() == 6
    facts.fill_if_empty(using="default")  # not empty any more: nothing happens
    assert IncidentFact.objects.count() == 6


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_real_commits_keep_the_facts_current():
    from tests.incidents.factories import make_world

    world = make_world()
    incident = report(world, priority="P1")
    assert IncidentFact.objects.get(pk=incident.pk).status == "detected"
    services.incident_acknowledge(
        incident_id=incident.pk, actor=world.user("oncall"), source=SYSTEM
    )
    fact = IncidentFact.objects.get(pk=incident.pk)
    assert fact.status == "acknowledged" and fact.response_s is not None


def _wait_until_a_session_waits_on_a_lock() -> None:
    import threading

    with connection.cursor() as cursor:
        for _ in range(200):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            threading.Event().wait(0.05)
    raise AssertionError("the stale refresh never blocked")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_stale_refresh_blocked_behind_a_newer_one_does_not_win():
    """A refresh reads the incident, then waits for the fact row while another session
    writes newer figures: when it gets the row, the guard makes it change nothing."""
    import threading

    from django.db import connections
    from django.db.models import F

    from tests.incidents.factories import make_world

    world = make_world()
    incident = report(world, priority="P3")  # committed: the fact exists
    locked, release, errors = threading.Event(), threading.Event(), []

    def newer_refresh():
        try:
            with transaction.atomic():
                list(IncidentFact.objects.select_for_update().filter(pk=incident.pk))
                locked.set()
                release.wait(10)
                facts.refresh([incident.pk])  # reads the incident after the change below
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def stale_refresh():
        try:
            facts.refresh([incident.pk])  # reads P3, then waits for the row lock
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connections.close_all()

    holder = threading.Thread(target=newer_refresh)
    holder.start()
    assert locked.wait(10)
    stale = threading.Thread(target=stale_refresh)
    stale.start()
    _wait_until_a_session_waits_on_a_lock()
    Incident.objects.filter(pk=incident.pk).update(
        priority="P1", updated_at=F("updated_at") + dt.timedelta(seconds=1)
    )
    release.set()
    holder.join(10)
    stale.join(10)
    assert not errors
    assert IncidentFact.objects.get(pk=incident.pk).priority == "P1"


def test_rebuild_command_and_nightly_task(may, capsys):
    from django.core.management import call_command

    from reports.tasks import reconcile_facts

    IncidentFact.objects.all().delete()
    call_command("reports_rebuild", "--batch", "3", verbosity=2)
    assert "6 incident facts written" in capsys.readouterr().out
    assert reconcile_facts.delay().get() == 6  # eager in tests; idempotent
    assert IncidentFact.objects.count() == 6


def test_postmortem_edits_refresh_the_fact(may, world):
    services.postmortem_update(
        postmortem_id=may["A"].postmortem.pk,
        actor=world.user("oncall"),
        source=SYSTEM,
        five_whys=["Timeouts", "  The Disk Was Full "],
    )
    # The test's own transaction never commits: run the batch its commit would run.
    pending = transaction.get_connection()._reports_pending
    assert may["A"].pk in pending.ids
    pending.flush()
    fact = IncidentFact.objects.get(pk=may["A"].pk)
    assert (fact.postmortem_status, fact.root_cause) == ("draft", "the disk was full")
