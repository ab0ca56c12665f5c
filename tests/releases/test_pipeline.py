"""CI/CD reports: builds, test results and deployments, idempotent per pipeline run, and the
stage moves a failed report causes."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from itsm import roles
from itsm.models import AuditEvent
from itsm.timers import services as timers
from itsm.timers.models import Timer
from releases import services
from releases.models import Build, Deployment, Environment, Release, Stage, TestRun

from .factories import canary_params, release_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def ci(make_user, api_client_for):
    """A CI/CD account as `manage.py releases_ci_account` makes it: token, report permission."""
    from django.core.management import call_command

    call_command("releases_ci_account", "ci-bot", stdout=open("/dev/null", "w"))  # noqa: SIM115
    from django.contrib.auth import get_user_model

    return api_client_for(get_user_model().objects.get(username="ci-bot"))


def deploy(client, release, **body):
    payload = {
        "environment": release.stage,
        "run_id": "run-1",
        "pipeline": "deploy.yml",
        "result": "succeeded",
    }
    payload.update(body)
    return client.post(f"/api/v1/releases/{release.pk}/deployments/", payload, format="json")


# --- idempotency --------------------------------------------------------------------------
def test_the_same_run_reported_twice_is_one_deployment(ci):
    release = release_in(Stage.TEST, ready=False)
    first = deploy(
        ci, release, started_at="2026-03-02T10:00:00Z", finished_at="2026-03-02T10:07:30Z"
    )
    second = deploy(
        ci, release, started_at="2026-03-02T10:00:00Z", finished_at="2026-03-02T10:07:30Z"
    )
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["duration_seconds"] == 450
    assert first.json()["reported_by"] == "ci-bot" or first.json()["reported_by"]
    assert Deployment.objects.count() == 1
    events = AuditEvent.objects.for_object(release).filter(action="deployment reported")
    assert events.count() == 1


def test_the_same_run_in_two_environments_is_two_deployments(ci):
    release = release_in(Stage.STAGING, ready=False)
    deploy(ci, release, environment="staging")
    Release.objects.filter(pk=release.pk).update(stage=Stage.CANARY)
    response = deploy(ci, release, environment="canary")
    assert response.status_code == 201
    assert Deployment.objects.filter(run_id="run-1").count() == 2


def test_in_progress_then_finished_updates_the_one_row(ci):
    release = release_in(Stage.TEST, ready=False)
    started = deploy(ci, release, result="in_progress")
    assert started.status_code == 201 and started.json()["finished_at"] is None
    finished = deploy(ci, release, result="succeeded", finished_at="2030-01-01T00:00:00Z")
    assert finished.status_code == 200
    assert finished.json()["result"] == "succeeded"
    assert Deployment.objects.get().finished_at.year == 2030
    late = deploy(ci, release, result="in_progress")  # a delayed "started" message
    assert late.status_code == 200 and late.json()["result"] == "succeeded"


def test_a_contradicting_result_is_refused(ci):
    release = release_in(Stage.TEST, ready=False)
    deploy(ci, release, result="succeeded")
    response = deploy(ci, release, result="failed")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "result_conflict"
    assert "already reported as Succeeded" in response.json()["error"]["message"]


def test_a_repeated_report_is_accepted_even_after_the_stage_moved_on(ci):
    release = release_in(Stage.TEST, ready=False)
    deploy(ci, release)
    Release.objects.filter(pk=release.pk).update(stage=Stage.STAGING)
    assert deploy(ci, release, environment="test").status_code == 200


def test_builds_and_test_results_are_idempotent_too(ci):
    release = release_in(Stage.DEVELOPMENT, ready=False)
    build = {"run_id": "b1", "pipeline": "build.yml", "result": "succeeded", "commit": "abc"}
    url = f"/api/v1/releases/{release.pk}/builds/"
    assert ci.post(url, build, format="json").status_code == 201
    assert ci.post(url, build, format="json").status_code == 200
    assert Build.objects.count() == 1
    Release.objects.filter(pk=release.pk).update(stage=Stage.TEST, attempt=1)
    run = {"environment": "test", "suite": "unit", "run_id": "t1", "pipeline": "t.yml",
           "result": "passed", "tests_total": 10}  # fmt: skip
    url = f"/api/v1/releases/{release.pk}/test-results/"
    assert ci.post(url, run, format="json").status_code == 201
    assert ci.post(url, run, format="json").status_code == 200
    assert ci.post(url, {**run, "suite": "e2e"}, format="json").status_code == 201
    assert TestRun.objects.count() == 2
    listed = ci.get(url).json()
    assert listed["count"] == 2


# --- what is refused ----------------------------------------------------------------------
def test_an_account_without_the_report_permission_gets_403(user_for, api_client_for):
    release = release_in(Stage.TEST, ready=False)
    response = deploy(api_client_for(user_for(roles.MANAGER)), release)
    assert response.status_code == 403
    assert not Deployment.objects.exists()


def test_anonymous_reports_get_401(client):
    release = release_in(Stage.TEST, ready=False)
    response = client.post(
        f"/api/v1/releases/{release.pk}/deployments/", {}, content_type="application/json"
    )
    assert response.status_code in (401, 403)


def test_a_wrong_version_is_refused(ci):
    release = release_in(Stage.TEST, ready=False)
    response = deploy(ci, release, version="9.9.9")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "version": [f"This release is version {release.version}, not 9.9.9."]
    }


def test_bad_input_is_a_400_not_a_500(ci):
    release = release_in(Stage.TEST, ready=False)
    assert deploy(ci, release, environment="moon").status_code == 400
    assert deploy(ci, release, result="great").status_code == 400
    assert deploy(ci, release, run_id="").status_code == 400
    url = f"/api/v1/releases/{release.pk}/test-results/"
    bad = {"environment": "test", "suite": "u", "run_id": "t", "pipeline": "p", "result": "passed",
           "tests_total": 1, "tests_failed": 5}  # fmt: skip
    assert ci.post(url, bad, format="json").status_code == 400
    assert ci.post("/api/v1/releases/999999/deployments/", {}, format="json").status_code == 404


def test_a_finished_release_takes_no_builds(ci):
    release = release_in(Stage.DONE, ready=False)
    url = f"/api/v1/releases/{release.pk}/builds/"
    response = ci.post(url, {"run_id": "b", "pipeline": "p", "result": "succeeded"}, format="json")
    assert response.status_code == 409


# --- failed reports move the release ---------------------------------------------------------
@pytest.mark.parametrize("stage", [Stage.TEST, Stage.STAGING])
def test_a_failed_deployment_in_test_or_staging_returns_to_development(ci, stage):
    release = release_in(stage, ready=False)
    response = deploy(ci, release, result="failed", run_id="run-9")
    assert response.status_code == 201
    release.refresh_from_db()
    assert release.stage == Stage.DEVELOPMENT
    assert "run-9" in release.last_failure_reason
    event = AuditEvent.objects.for_object(release).get(
        action=f"fail_{'test' if stage == 'test' else 'staging'}"
    )
    assert event.source == "api" and event.actor.username == "ci-bot"


def test_a_failed_suite_in_staging_returns_to_development(ci):
    release = release_in(Stage.STAGING, ready=False)
    ci.post(
        f"/api/v1/releases/{release.pk}/test-results/",
        {
            "environment": "staging",
            "suite": "smoke",
            "run_id": "s1",
            "pipeline": "p",
            "result": "failed",
            "tests_total": 3,
            "tests_failed": 1,
        },  # fmt: skip
        format="json",
    )
    release.refresh_from_db()
    assert release.stage == Stage.DEVELOPMENT
    assert "Test suite smoke failed in Staging" in release.last_failure_reason


@pytest.mark.parametrize("stage", [Stage.CANARY, Stage.PRODUCTION])
def test_a_failed_canary_or_production_deployment_rolls_back(ci, stage):
    release = release_in(stage, ready=False, **canary_params())
    deploy(ci, release, run_id="ok-1")
    deploy(ci, release, run_id="bad-2", result="failed")
    release.refresh_from_db()
    assert release.stage == Stage.ROLLED_BACK
    assert release.rolled_back_from == stage
    assert "bad-2" in release.rollback_reason
    # The deployment that was live is now marked as rolled back (a failed change for DORA).
    assert Deployment.objects.get(run_id="ok-1").rolled_back_at is not None


def test_a_deployment_later_reported_as_rolled_back_rolls_the_release_back(ci):
    release = release_in(Stage.PRODUCTION, ready=False)
    deploy(ci, release, run_id="p1")
    response = deploy(ci, release, run_id="p1", result="rolled_back")
    assert response.status_code == 200
    release.refresh_from_db()
    assert release.stage == Stage.ROLLED_BACK


def test_a_rollback_mails_the_team_and_the_manager(
    ci, make_user, django_capture_on_commit_callbacks
):
    release = release_in(Stage.PRODUCTION, ready=False)
    release.team.email = "ops@example.com"
    release.team.save()
    release.manager = make_user(email="lead@example.com", language="ko")
    release.save()
    with django_capture_on_commit_callbacks(execute=True):
        deploy(ci, release, run_id="p1", result="failed")
    [message] = mail.outbox
    assert sorted(message.to) == ["lead@example.com", "ops@example.com"]
    assert release.version in message.subject
    assert "p1" in message.body


def test_a_failure_from_an_earlier_round_does_not_move_the_release(ci):
    release = release_in(Stage.TEST, ready=False)
    deploy(ci, release, result="in_progress")
    Release.objects.filter(pk=release.pk).update(attempt=2)  # a new round started meanwhile
    deploy(ci, release, result="failed")
    assert Release.objects.get(pk=release.pk).stage == Stage.TEST


# --- the canary observation timer -------------------------------------------------------------
def test_a_successful_canary_arms_one_timer_that_notes_the_end_of_the_window(ci):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        release = release_in(Stage.CANARY, ready=False, **canary_params())
        deploy(ci, release, finished_at=start.isoformat())
        deploy(ci, release, finished_at=start.isoformat())  # repeated: same timer
    timer = Timer.objects.get(kind="releases.canary_window", state="armed")
    assert timer.due_at == start + timedelta(minutes=30)
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert timers.sweep().fired == 1
        assert timers.sweep().fired == 0
    events = AuditEvent.objects.for_object(release).filter(action="canary window elapsed")
    assert events.count() == 1 and events.get().source == "timer"


def test_the_canary_timer_handler_is_idempotent_and_rechecks_the_stage(ci):
    from releases.timer_handlers import canary_window_elapsed

    release = release_in(Stage.CANARY, ready=False, **canary_params())
    deploy(ci, release)
    timer = Timer.objects.get(kind="releases.canary_window")
    canary_window_elapsed(timer, now=timezone.now())
    canary_window_elapsed(timer, now=timezone.now())
    assert (
        AuditEvent.objects.for_object(release).filter(action="canary window elapsed").count() == 1
    )
    Release.objects.filter(pk=release.pk).update(stage=Stage.ROLLED_BACK)
    canary_window_elapsed(timer, now=timezone.now())
    assert (
        AuditEvent.objects.for_object(release).filter(action="canary window elapsed").count() == 1
    )


def test_leaving_the_canary_cancels_its_timer(ci, user_for):
    release = release_in(Stage.CANARY, ready=False, **canary_params())
    deploy(ci, release)
    services.release_rollback(
        release_id=release.pk, actor=user_for(roles.ONCALL), source="web", reason="errors up"
    )
    assert not Timer.objects.filter(kind="releases.canary_window", state="armed").exists()


# --- manual deployments from the page -------------------------------------------------------
def test_a_deployment_recorded_by_hand_is_idempotent_per_form(user_for, client):
    release = release_in(Stage.STAGING, ready=False)
    client.force_login(user_for(roles.ADMINISTRATOR))
    form = {"run_id": "manual-abc", "environment": "staging", "result": "succeeded",
            "triggered_by": "kim", "notes": ""}  # fmt: skip
    url = f"/releases/{release.pk}/deployments/"
    client.post(url, form)
    client.post(url, form)  # double click
    deployment = Deployment.objects.get()
    assert (deployment.pipeline, deployment.triggered_by) == ("manual", "kim")


def test_a_deployment_by_hand_for_another_stage_is_refused_with_a_message(user_for, client):
    release = release_in(Stage.STAGING, ready=False)
    client.force_login(user_for(roles.ADMINISTRATOR))
    response = client.post(
        f"/releases/{release.pk}/deployments/",
        {"run_id": "m", "environment": "production", "result": "succeeded"},
        follow=True,
    )
    assert "are not accepted now" in response.content.decode()
    assert not Deployment.objects.exists()


def test_environment_values_match_the_stages():
    assert set(Environment.values) <= set(Stage.values)


def test_a_run_that_ends_before_it_starts_is_a_400(ci):
    release = release_in(Stage.TEST, ready=False)
    response = deploy(
        ci, release, started_at="2026-03-02T10:00:00Z", finished_at="2026-03-02T09:00:00Z"
    )
    assert response.status_code == 400
    assert "finished_at" in response.json()["error"]["details"]
