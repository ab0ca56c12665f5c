"""Demo data for `manage.py seed_demo`: a finished history (for the DORA page) and releases in
flight at every stage. Runs once: it does nothing when the demo releases exist."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from changes.models import Change
from itsm.audit import record_event
from itsm.models import Service, Team

from .models import Build, Deployment, Environment, Release, ReleaseItem, Stage, Strategy, TestRun

HISTORY = [
    # version, services, days ago in production, result, rolled back
    ("shop-3.8.0", ["web-shop"], 120, "succeeded", False),
    ("shop-3.8.1", ["web-shop"], 100, "succeeded", False),
    ("pay-2.1.0", ["payments-api"], 95, "succeeded", True),
    ("pay-2.1.1", ["payments-api"], 93, "succeeded", False),
    ("shop-3.9.0", ["web-shop"], 70, "succeeded", False),
    ("db-14.2", ["customer-db"], 60, "failed", False),
    ("db-14.3", ["customer-db"], 58, "succeeded", False),
    ("shop-3.10.0", ["web-shop", "payments-api"], 35, "succeeded", False),
    ("wiki-1.4.0", ["wiki"], 20, "succeeded", False),
    ("shop-3.10.1", ["web-shop"], 9, "succeeded", False),
]


def _made(release: Release, user, *, env: str, at, result: str, run: str, minutes: int = 8):
    Deployment.objects.create(
        release=release,
        environment=env,
        version=release.version,
        strategy=release.strategy,
        result=result,
        pipeline="github-actions/deploy.yml",
        run_id=run,
        attempt=max(release.attempt, 1),
        reported_by=user,
        triggered_by="developer",
        started_at=at - timedelta(minutes=minutes),
        finished_at=at,
    )


@transaction.atomic
def seed() -> None:
    if Release.objects.filter(version__in=[h[0] for h in HISTORY]).exists():
        return
    team = Team.objects.filter(slug="platform-ops").first()
    if team is None or not Service.objects.filter(slug="web-shop").exists():
        return
    if not get_user_model().objects.filter(username="developer").exists():
        return
    User = get_user_model()
    developer = User.objects.filter(username="developer").first()
    manager = User.objects.filter(username="leader").first()
    now = timezone.now()

    for version, slugs, days, result, rolled_back in HISTORY:
        at = now - timedelta(days=days)
        stage = Stage.ROLLED_BACK if rolled_back or result == "failed" else Stage.DONE
        release = Release.objects.create(
            version=version,
            title="",
            kind="patch" if version.count(".") == 2 and not version.endswith(".0") else "minor",
            stage=stage,
            team=team,
            manager=manager,
            planned_at=at - timedelta(hours=2),
            strategy=Strategy.ROLLING,
            rolling_batch_percent=25,
            attempt=1,
            stage_entered_at=at,
            production_at=at,
            done_at=at + timedelta(days=1) if stage == Stage.DONE else None,
            rolled_back_at=at + timedelta(hours=3) if stage == Stage.ROLLED_BACK else None,
            rolled_back_from=Stage.PRODUCTION if stage == Stage.ROLLED_BACK else "",
            rollback_reason="Error rate above the SLO after the deployment."
            if stage == Stage.ROLLED_BACK
            else "",
            created_by=developer,
        )
        release.services.set(Service.objects.filter(slug__in=slugs))
        # The approved change that covered it: DORA's lead time starts at its approval.
        change = Change.objects.create(
            title=f"Deploy {version}",
            change_class="normal",
            status="closed",
            requester=developer or manager,
            owner_team=team,
            execution_plan="Run the deployment pipeline.",
            rollback_plan="Redeploy the previous version.",
            planned_start=at - timedelta(hours=1),
            planned_end=at + timedelta(hours=2),
            submitted_at=at - timedelta(days=4),
            decided_at=at - timedelta(days=2, hours=days % 7),
        )
        change.services.set(release.services.all())
        release.changes.add(change)
        Release.objects.filter(pk=release.pk).update(covering_change=change)
        record_event(release, action="created", source="system", after=release.stage,
                     message="Demo history")  # fmt: skip
        for env, offset in ((Environment.TEST, 3), (Environment.STAGING, 2)):
            _made(
                release,
                developer,
                env=env,
                at=at - timedelta(days=offset),
                result="succeeded",
                run=f"{version}-{env}",
            )
        _made(
            release,
            developer,
            env=Environment.PRODUCTION,
            at=at,
            result=result,
            run=f"{version}-prod",
        )
        if rolled_back:
            Deployment.objects.filter(release=release, environment=Environment.PRODUCTION).update(
                rolled_back_at=at + timedelta(hours=3)
            )

    # In flight: one per stage up to staging, with reports that explain their gates.
    payments = Service.objects.filter(slug="payments-api")
    shop = Service.objects.filter(slug="web-shop")
    specs = [
        ("shop-3.11.0", "Checkout redesign", shop, Stage.DEVELOPMENT, Strategy.CANARY, 0),
        ("pay-2.2.0", "Faster refunds", payments, Stage.TEST, Strategy.BLUE_GREEN, 1),
        ("shop-3.10.2", "Cart fixes", shop, Stage.STAGING, Strategy.ROLLING, 1),
    ]
    for version, title, services, stage, strategy, attempt in specs:
        release = Release.objects.create(
            version=version,
            title=title,
            kind="minor" if version.endswith(".0") else "patch",
            stage=stage,
            team=team,
            manager=manager,
            planned_at=now + timedelta(days=7 if stage == Stage.DEVELOPMENT else 2),
            strategy=strategy,
            canary_percent=10 if strategy == Strategy.CANARY else None,
            canary_duration_minutes=60 if strategy == Strategy.CANARY else None,
            rolling_batch_percent=25 if strategy == Strategy.ROLLING else None,
            blue_green_hold_minutes=120 if strategy == Strategy.BLUE_GREEN else None,
            attempt=attempt,
            stage_entered_at=now - timedelta(hours=5),
            notes="Highlights of this release, written by the team.",
            created_by=developer,
        )
        release.services.set(services)
        record_event(release, action="created", actor=developer, source="system", after=stage)
        ReleaseItem.objects.bulk_create(
            [
                ReleaseItem(
                    release=release, category="feature", title=f"{title}: new screens", position=0
                ),
                ReleaseItem(
                    release=release, category="fix", title="Rounding error in totals", position=1
                ),
            ]
        )
        Build.objects.create(
            release=release,
            version=version,
            pipeline="github-actions/build.yml",
            run_id=f"{version}-build",
            result="succeeded",
            commit="3f2c9a1d",
            attempt=attempt,
            reported_by=developer,
            finished_at=now - timedelta(hours=6),
        )
        if stage in (Stage.TEST, Stage.STAGING):
            _made(
                release,
                developer,
                env=Environment.TEST,
                at=now - timedelta(hours=4),
                result="succeeded",
                run=f"{version}-test",
            )
            TestRun.objects.create(
                release=release,
                environment=Environment.TEST,
                suite="integration",
                result="passed",
                tests_total=420,
                pipeline="github-actions/test.yml",
                run_id=f"{version}-it",
                attempt=attempt,
                reported_by=developer,
                finished_at=now - timedelta(hours=3),
            )
