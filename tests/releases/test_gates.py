"""Promotion gates: each one refuses with a message that names it; a production promotion
without an approved change is refused at every door."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from itsm import roles
from releases import services
from releases.gates import GateNotMet
from releases.models import (
    Build,
    Deployment,
    Environment,
    Release,
    ReleaseKindPolicy,
    Stage,
    TestRun,
)
from tests.itsm.factories import ServiceFactory

from .factories import canary_params, covering_change, release_in, report

pytestmark = pytest.mark.django_db


def refuse(release, verb, user):
    with pytest.raises(GateNotMet) as info:
        services.release_transition(release_id=release.pk, verb=verb, actor=user, source="api")
    assert Release.objects.get(pk=release.pk).stage == release.stage
    return str(info.value.message)


# --- development → test -----------------------------------------------------------------
def test_testing_needs_a_build(user_for):
    release = release_in(Stage.DEVELOPMENT, ready=False)
    message = refuse(release, "start_testing", user_for(roles.DEVELOPER))
    assert "Build" in message and f"no build of {release.version} reported" in message


def test_the_latest_build_must_have_succeeded(user_for):
    release = release_in(Stage.DEVELOPMENT)  # a successful build
    report(Build, release, result="failed", run_id="b-2")
    message = refuse(release, "start_testing", user_for(roles.DEVELOPER))
    assert "the latest build (run b-2) is Failed" in message


def test_a_build_of_another_version_does_not_count(user_for):
    release = release_in(Stage.DEVELOPMENT, ready=False)
    report(Build, release, version="0.0.1")
    assert "no build of" in refuse(release, "start_testing", user_for(roles.DEVELOPER))


def test_starting_tests_opens_a_new_round(user_for):
    release = release_in(Stage.DEVELOPMENT)
    release = services.release_start_testing(
        release_id=release.pk, actor=user_for(roles.DEVELOPER), source="api"
    )
    assert (release.stage, release.attempt) == (Stage.TEST, 1)


# --- test → staging ---------------------------------------------------------------------
def test_staging_needs_a_deployment_and_green_checks_in_test(user_for):
    release = release_in(Stage.TEST, ready=False)
    message = refuse(release, "promote_to_staging", user_for(roles.DEVELOPER))
    assert "Deployed to Test: no deployment reported" in message
    assert "Checks in Test: no test results reported" in message


def test_a_failing_suite_is_named(user_for):
    release = release_in(Stage.TEST)
    report(TestRun, release, environment=Environment.TEST, suite="e2e", result="failed")
    message = refuse(release, "promote_to_staging", user_for(roles.DEVELOPER))
    assert "failing: e2e" in message
    assert "Deployed to Test" not in message  # that gate is met


def test_a_suite_rerun_that_passes_clears_its_failure(user_for):
    release = release_in(Stage.TEST)
    report(TestRun, release, environment=Environment.TEST, suite="e2e", result="failed")
    report(TestRun, release, environment=Environment.TEST, suite="e2e", result="passed")
    release = services.release_promote_to_staging(
        release_id=release.pk, actor=user_for(roles.DEVELOPER), source="api"
    )
    assert release.stage == Stage.STAGING


def test_results_of_an_earlier_round_do_not_open_the_gate(user_for):
    release = release_in(Stage.TEST, attempt=2, ready=False)
    report(Deployment, release, environment=Environment.TEST, attempt=1)
    report(TestRun, release, environment=Environment.TEST, attempt=1)
    message = refuse(release, "promote_to_staging", user_for(roles.DEVELOPER))
    assert "no deployment reported" in message


# --- staging → canary / production -----------------------------------------------------------
def test_canary_needs_the_canary_strategy(user_for):
    release = release_in(Stage.STAGING)  # rolling
    message = refuse(release, "start_canary", user_for(roles.DEVELOPER))
    assert "Deployment strategy" in message and "straight to production" in message


def test_a_canary_release_cannot_skip_the_canary(user_for, approved_change):
    approved_change("normal")
    release = release_in(Stage.STAGING, **canary_params())
    message = refuse(release, "promote_to_production", user_for(roles.OPS_MANAGER))
    assert "a canary release goes through the canary stage first" in message


def test_the_canary_is_observed_for_its_duration(user_for, approved_change):
    approved_change("normal")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        release = release_in(Stage.CANARY, ready=False, **canary_params())
        report(Deployment, release, environment=Environment.CANARY, finished_at=start)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        message = refuse(release, "promote_to_production", user_for(roles.OPS_MANAGER))
        assert "Canary observation: observe the canary 21 more minute(s)" in message
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        release = services.release_promote_to_production(
            release_id=release.pk, actor=user_for(roles.OPS_MANAGER), source="api"
        )
    assert release.stage == Stage.PRODUCTION


def test_a_failing_canary_check_blocks_production(user_for, approved_change):
    approved_change("normal")
    release = release_in(Stage.CANARY, **canary_params())
    report(TestRun, release, environment=Environment.CANARY, suite="slo-analysis", result="failed")
    assert "failing: slo-analysis" in refuse(
        release, "promote_to_production", user_for(roles.OPS_MANAGER)
    )


def test_done_needs_a_successful_production_deployment(user_for):
    release = release_in(Stage.PRODUCTION, ready=False)
    report(Deployment, release, environment=Environment.PRODUCTION, result="in_progress")
    message = refuse(release, "complete", user_for(roles.OPS_LEADER))
    assert "Deployed to Production" in message and "In progress" in message


# --- the approved change ------------------------------------------------------------------------
def test_production_asks_for_a_change_covering_the_releases_services(user_for, approved_change):
    approved_change("normal")
    release = release_in(Stage.STAGING)
    release = services.release_promote_to_production(
        release_id=release.pk, actor=user_for(roles.OPS_MANAGER), source="api"
    )
    assert release.stage == Stage.PRODUCTION
    [change] = approved_change.made.values()
    assert release.covering_change == change
    assert list(release.changes.all()) == [change]  # the covering change joins the content
    asked = {ids for ids, _at in approved_change.calls}
    assert asked == {tuple(sorted(release.services.values_list("pk", flat=True)))}


def test_no_approved_change_refuses_the_promotion_naming_the_gate(user_for, approved_change):
    approved_change(None)
    release = release_in(Stage.STAGING)
    message = refuse(release, "promote_to_production", user_for(roles.OPS_MANAGER))
    assert "Approved change" in message and "no approved change" in message


@pytest.mark.parametrize(
    ("kind", "change_class", "allowed"),
    [
        ("hotfix", "emergency", True),
        ("hotfix", "normal", False),
        ("hotfix", "standard", False),
        ("minor", "normal", True),
        ("minor", "major", True),
        ("minor", "emergency", False),
        ("patch", "standard", True),
        ("major", "standard", False),
    ],
)
def test_the_class_of_the_change_must_fit_the_kind(
    kind, change_class, allowed, user_for, approved_change
):
    approved_change(change_class)
    release = release_in(Stage.STAGING, kind=kind)
    if allowed:
        services.release_promote_to_production(
            release_id=release.pk, actor=user_for(roles.OPS_MANAGER), source="api"
        )
        assert Release.objects.get(pk=release.pk).stage == Stage.PRODUCTION
    else:
        message = refuse(release, "promote_to_production", user_for(roles.OPS_MANAGER))
        if kind == "hotfix":
            assert "a hotfix goes with an approved emergency change" in message


def test_the_covering_classes_are_policy(user_for, approved_change):
    approved_change("emergency")
    ReleaseKindPolicy.objects.filter(kind="minor").update(
        covering_change_classes=["normal", "emergency"]
    )
    release = release_in(Stage.STAGING, kind="minor")
    services.release_promote_to_production(
        release_id=release.pk, actor=user_for(roles.OPS_MANAGER), source="api"
    )
    assert Release.objects.get(pk=release.pk).stage == Stage.PRODUCTION


class TestWithTheChangesApp:
    """The gate against the real changes.selectors.approved_change_covering."""

    def promote(self, release, user):
        return services.release_promote_to_production(
            release_id=release.pk, actor=user, source="api"
        )

    def test_an_approved_change_in_its_window_opens_production(self, user_for):
        release = release_in(Stage.STAGING)
        change = covering_change(release.services.all())
        release = self.promote(release, user_for(roles.OPS_MANAGER))
        assert release.stage == Stage.PRODUCTION and release.covering_change == change

    def test_a_change_whose_window_is_not_open_does_not_cover(self, user_for):
        release = release_in(Stage.STAGING)
        later = timezone.now() + timedelta(days=1)
        covering_change(
            release.services.all(), planned_start=later, planned_end=later + timedelta(hours=2)
        )
        assert "Approved change" in refuse(
            release, "promote_to_production", user_for(roles.OPS_MANAGER)
        )

    def test_a_change_must_name_every_service_of_the_release(self, user_for):
        release = release_in(Stage.STAGING)
        first = release.services.get()
        release.services.add(ServiceFactory())
        covering_change([first])
        assert "Approved change" in refuse(
            release, "promote_to_production", user_for(roles.OPS_MANAGER)
        )

    def test_a_change_that_is_only_submitted_does_not_cover(self, user_for):
        from tests.changes.factories import change_in_state

        release = release_in(Stage.STAGING)
        now = timezone.now()
        change_in_state(
            "awaiting_approval",
            services=list(release.services.all()),
            planned_start=now - timedelta(hours=1),
            planned_end=now + timedelta(hours=1),
        )
        assert "Approved change" in refuse(
            release, "promote_to_production", user_for(roles.OPS_MANAGER)
        )

    def test_a_hotfix_goes_with_an_emergency_change(self, user_for):
        release = release_in(Stage.STAGING, kind="hotfix")
        services_ = release.services.all()
        earlier = timezone.now() - timedelta(hours=2)
        covering_change(services_, "normal", planned_start=earlier)  # the selector's first answer
        assert "emergency" in refuse(release, "promote_to_production", user_for(roles.OPS_MANAGER))
        emergency = covering_change(services_, "emergency")
        release.changes.add(emergency)  # linked to the hotfix: the gate finds it
        release = self.promote(release, user_for(roles.OPS_MANAGER))
        assert release.covering_change == emergency


class TestNoApprovedChangeAtEveryDoor:
    @pytest.fixture(autouse=True)
    def _no_change(self, approved_change):
        approved_change(None)

    def test_service(self, user_for):
        release = release_in(Stage.STAGING)
        assert "Approved change" in refuse(
            release, "promote_to_production", user_for(roles.ADMINISTRATOR)
        )

    def test_api(self, user_for, api_client_for):
        release = release_in(Stage.CANARY, **canary_params())
        response = api_client_for(user_for(roles.OPS_MANAGER)).post(
            f"/api/v1/releases/{release.pk}/promote-to-production/", {}, format="json"
        )
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "gate_not_met"
        assert "Approved change" in error["message"]
        assert Release.objects.get(pk=release.pk).stage == Stage.CANARY

    def test_page_refuses_and_shows_no_button(self, user_for, client):
        release = release_in(Stage.STAGING)
        client.force_login(user_for(roles.OPS_MANAGER))
        detail = client.get(release.get_absolute_url()).content.decode()
        assert 'data-verb="promote_to_production"' not in detail
        assert 'data-gate="approved_change" data-met="no"' in detail
        response = client.post(
            reverse("releases:transition", args=[release.pk, "promote_to_production"]),
            follow=True,
        )
        assert "Gate not met" in response.content.decode()
        assert "Approved change" in response.content.decode()
        assert Release.objects.get(pk=release.pk).stage == Stage.STAGING

    def test_ci_cannot_deploy_to_production_a_release_not_promoted(self, user_for, api_client_for):
        release = release_in(Stage.STAGING)
        response = api_client_for(user_for(roles.DEVELOPER)).post(
            f"/api/v1/releases/{release.pk}/deployments/",
            {"environment": "production", "run_id": "r1", "pipeline": "ci", "result": "succeeded"},
            format="json",
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "wrong_stage"
        assert not Deployment.objects.filter(environment="production").exists()

    def test_the_admin_cannot_move_the_stage(self, admin_user, client):
        release = release_in(Stage.STAGING)
        client.force_login(admin_user)
        url = reverse("admin:releases_release_change", args=[release.pk])
        response = client.post(url, {"stage": "production", "version": release.version})
        assert response.status_code == 403
        assert Release.objects.get(pk=release.pk).stage == Stage.STAGING
        with pytest.raises(AttributeError):
            release.stage = Stage.PRODUCTION  # protected FSM field


def test_the_detail_api_lists_the_next_gates(user_for, api_client_for, approved_change):
    approved_change(None)
    release = release_in(Stage.STAGING)
    body = api_client_for(user_for(roles.OPS_MANAGER)).get(f"/api/v1/releases/{release.pk}/").json()
    assert set(body["allowed_actions"]) == {"fail_staging", "cancel"}
    [promotion] = body["next_promotions"]
    assert promotion["action"] == "promote_to_production"
    met = {g["code"]: g["met"] for g in promotion["gates"]}
    assert met == {
        "strategy": True,
        "deployed_staging": True,
        "checks_staging": True,
        "approved_change": False,
    }
