"""Factories and helpers that put releases where a test needs them."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from releases.models import Build, Deployment, Environment, Release, Stage, Strategy, TestRun
from tests.itsm.factories import ServiceFactory, TeamFactory


class ReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Release
        skip_postgeneration_save = True

    version = factory.Sequence(lambda n: f"1.{n}.0")
    title = factory.Sequence(lambda n: f"Release {n}")
    kind = "minor"
    team = factory.SubFactory(TeamFactory)
    strategy = Strategy.ROLLING
    rolling_batch_percent = 25
    stage_entered_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if not create:
            return
        self.services.set(
            extracted if extracted is not None else [ServiceFactory(owner_team=self.team)]
        )


def canary_params() -> dict:
    return {"strategy": Strategy.CANARY, "canary_percent": 10, "canary_duration_minutes": 30}


def report(model, release: Release, **fields):
    """A pipeline report row made directly (no service), in the release's current round."""
    defaults = {
        "release": release,
        "pipeline": "ci",
        "run_id": f"run-{model.objects.count() + 1}",
        "attempt": release.attempt,
        "finished_at": timezone.now() - timedelta(hours=1),
    }
    if model is Deployment:
        defaults.update(version=release.version, strategy=release.strategy, result="succeeded")
    if model is TestRun:
        defaults.update(suite="integration", result="passed", tests_total=10)
    if model is Build:
        defaults.update(version=release.version, result="succeeded")
    defaults.update(fields)
    return model.objects.create(**defaults)


def green(release: Release, environment: str) -> None:
    """A successful deployment and a passing test suite in `environment`, this round."""
    report(Deployment, release, environment=environment)
    report(TestRun, release, environment=environment)


def release_in(stage: str, *, ready: bool = True, **fields) -> Release:
    """A release in `stage` (made directly); with `ready`, every gate of the next promotion
    except the approved change is met."""
    fields.setdefault("attempt", 0 if stage == Stage.DEVELOPMENT else 1)
    release = ReleaseFactory(stage=stage, **fields)
    if not ready:
        return release
    if stage == Stage.DEVELOPMENT:
        report(Build, release)
    elif stage == Stage.TEST:
        green(release, Environment.TEST)
    elif stage == Stage.STAGING:
        green(release, Environment.STAGING)
    elif stage == Stage.CANARY:
        green(release, Environment.CANARY)
    elif stage == Stage.PRODUCTION:
        report(Deployment, release, environment=Environment.PRODUCTION)
    return release


def covering_change(services, change_class: str = "normal", **fields):
    """A real approved change whose window is open now and that names `services`."""
    from tests.changes.factories import change_in_state

    fields.setdefault("decided_at", timezone.now() - timedelta(days=2))
    return change_in_state("approved", change_class=change_class, services=list(services), **fields)


def incident_row(service=None, **fields):
    """A plain incident row (no workflow): what DORA's time to restore reads."""
    from incidents.models import Incident

    service = service or ServiceFactory()
    defaults = {
        "title": "Checkout errors",
        "service": service,
        "team": service.owner_team,
        "scope": "some_users",
        "business_impact": "loss_of_trust",
        "urgency": "planned",
        "impact": "medium",
        "matrix_priority": "P3",
        "priority": "P3",
    }
    defaults.update(fields)
    return Incident.objects.create(**defaults)
