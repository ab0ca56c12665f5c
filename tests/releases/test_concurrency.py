"""Concurrent reports of one pipeline run on PostgreSQL, with real threads."""

import threading

import pytest
from django.db import close_old_connections, connection

from itsm import roles
from itsm.models import AuditEvent
from releases import services
from releases.models import Deployment, Release, Stage

from .factories import release_in

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def run_together(count, work):
    """Start `count` threads at once (a barrier), each calling work(i); collect results."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def worker(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_the_same_run_reported_at_once_by_eight_threads_is_one_deployment(user_for):
    release = release_in(Stage.TEST, ready=False)
    ci = user_for(roles.DEVELOPER)

    def report(_i):
        return services.deployment_report(
            release_id=release.pk, actor=ci, source="api", environment="test",
            run_id="run-42", pipeline="deploy.yml", result="succeeded",
        )  # fmt: skip

    outcomes, errors = run_together(8, report)
    assert errors == []
    assert Deployment.objects.filter(release=release).count() == 1
    assert sum(o.created for o in outcomes) == 1
    assert len({o.report.pk for o in outcomes}) == 1
    events = AuditEvent.objects.for_object(release).filter(action="deployment reported")
    assert events.count() == 1


def test_the_same_run_reported_at_once_through_the_api(user_for, api_client_for):
    release = release_in(Stage.TEST, ready=False)
    ci = user_for(roles.DEVELOPER)
    body = {"environment": "test", "run_id": "run-7", "pipeline": "p", "result": "succeeded"}

    def post(_i):
        response = api_client_for(ci).post(
            f"/api/v1/releases/{release.pk}/deployments/", body, format="json"
        )
        return response.status_code, response.json()["id"]

    results, errors = run_together(6, post)
    assert errors == []
    assert sorted(code for code, _ in results) == [200] * 5 + [201]
    assert len({pk for _, pk in results}) == 1
    assert Deployment.objects.count() == 1


def test_two_failures_at_once_roll_back_once(user_for):
    release = release_in(Stage.PRODUCTION, ready=False)
    ci = user_for(roles.DEVELOPER)

    def fail(i):
        return services.deployment_report(
            release_id=release.pk, actor=ci, source="api", environment="production",
            run_id=f"bad-{i}", pipeline="p", result="failed",
        )  # fmt: skip

    _results, errors = run_together(2, fail)
    release = Release.objects.get(pk=release.pk)
    assert release.stage == Stage.ROLLED_BACK
    assert AuditEvent.objects.for_object(release).filter(action="rollback").count() == 1
    # The second report was either recorded before the rollback or refused after it.
    assert Deployment.objects.count() + len(errors) == 2
