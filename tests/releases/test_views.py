"""Release pages: list with filters and bounded queries, forms, the detail page's buttons,
notes, calendar, DORA and the home page's "my work"."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from itsm import roles
from itsm.models import Membership
from releases.models import Deployment, Environment, Release, ReleaseItem, Stage
from tests.itsm.factories import ServiceFactory, TeamFactory

from .factories import ReleaseFactory, canary_params, release_in, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_role(client, user_for):
    def login(role):
        user = user_for(role)
        client.force_login(user)
        return user

    return login


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_filters_by_url_query(client, as_role):
    as_role(roles.MANAGER)
    shop = ServiceFactory(slug="shop", name="Shop")
    hotfix = ReleaseFactory(version="3.0.1", kind="hotfix", services=[shop])
    done = release_in(Stage.DONE, version="2.0.0")
    html = page(client, reverse("releases:list"), kind="hotfix")
    assert hotfix.version in html and done.version not in html
    html = page(client, reverse("releases:list"), state="finished")
    assert done.version in html and hotfix.version not in html
    html = page(client, reverse("releases:list"), service="shop")
    assert hotfix.version in html and done.version not in html


def test_a_filter_it_cannot_read_is_reported_not_a_500(client, as_role):
    as_role(roles.MANAGER)
    html = page(client, reverse("releases:list"), planned_after="not-a-date", kind="giant")
    assert "were not understood" in html


def test_the_list_query_count_does_not_grow(client, as_role, django_assert_max_num_queries):
    as_role(roles.DEVELOPER)
    for _ in range(3):
        report(Deployment, release_in(Stage.TEST, ready=False), environment=Environment.TEST)
    with django_assert_max_num_queries(20) as small:
        page(client, reverse("releases:list"))
    for _ in range(25):
        report(Deployment, release_in(Stage.TEST, ready=False), environment=Environment.TEST)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = page(client, reverse("releases:list"))
    assert html.count('class="fw-semibold"') == 28


def test_empty_list_tells_what_to_do(client, as_role):
    as_role(roles.DEVELOPER)
    assert "Create the first one" in page(client, reverse("releases:list"))
    as_role(roles.REQUESTER)
    assert "A developer or ops leader creates them" in page(client, reverse("releases:list"))


def test_create_and_edit_through_the_form(client, as_role):
    as_role(roles.DEVELOPER)
    team = TeamFactory()
    service = ServiceFactory(owner_team=team)
    form = {
        "version": "5.1.0", "title": "Search", "kind": "minor", "team": team.pk,
        "services": [service.pk], "planned_at": "2026-05-06T10:00", "strategy": "rolling",
        "rolling_batch_percent": 20, "notes": "Better search.",
        "items-TOTAL_FORMS": 3, "items-INITIAL_FORMS": 0,
        "items-0-category": "feature", "items-0-title": "Fuzzy search",
        "items-0-link": "example.com/7",
        "items-1-category": "fix", "items-1-title": "",
        "items-2-category": "fix", "items-2-title": "",
    }  # fmt: skip
    response = client.post(reverse("releases:create"), form)
    release = Release.objects.get(version="5.1.0")
    assert response.status_code == 302 and response.url == release.get_absolute_url()
    assert [i.title for i in release.items.all()] == ["Fuzzy search"]
    assert release.items.get().link == "https://example.com/7"
    # Planned times are read in the user's time zone (the factory's users live in Seoul).
    assert release.planned_at == datetime(2026, 5, 6, 10, tzinfo=ZoneInfo("Asia/Seoul"))

    item = release.items.get()
    form.update({"title": "Search v2", "items-INITIAL_FORMS": 1, "items-0-id": item.pk})
    client.post(reverse("releases:edit", args=[release.pk]), form)
    release.refresh_from_db()
    assert release.title == "Search v2" and release.items.count() == 1


def test_the_form_shows_errors_instead_of_saving(client, as_role):
    as_role(roles.DEVELOPER)
    team = TeamFactory()
    form = {"version": "x y", "kind": "minor", "team": team.pk, "strategy": "canary",
            "items-TOTAL_FORMS": 0, "items-INITIAL_FORMS": 0}  # fmt: skip
    html = client.post(reverse("releases:create"), form).content.decode()
    assert "A version is letters" in html
    assert "A canary release needs its share of traffic." in html
    assert not Release.objects.exists()


def test_readers_get_403_on_forms(client, as_role):
    as_role(roles.MANAGER)
    release = ReleaseFactory()
    assert client.get(reverse("releases:create")).status_code == 403
    assert client.get(reverse("releases:edit", args=[release.pk])).status_code == 403


def test_detail_shows_exactly_the_allowed_buttons(client, as_role, approved_change):
    approved_change("normal")
    release = release_in(Stage.STAGING)  # rolling: the next promotion is production
    as_role(roles.DEVELOPER)
    html = page(client, release.get_absolute_url())
    verbs = {v for v in ["promote_to_production", "fail_staging", "cancel", "start_canary"]
             if f'data-verb="{v}"' in html}  # fmt: skip
    assert verbs == {"fail_staging"}
    as_role(roles.OPS_MANAGER)
    html = page(client, release.get_absolute_url())
    verbs = {v for v in ["promote_to_production", "fail_staging", "cancel", "start_canary"]
             if f'data-verb="{v}"' in html}  # fmt: skip
    assert verbs == {"promote_to_production", "fail_staging", "cancel"}


def test_detail_page_has_timeline_gates_and_reports(client, as_role, approved_change):
    approved_change(None)
    release = release_in(Stage.CANARY, **canary_params())
    as_role(roles.DEVELOPER)
    client.post(reverse("releases:transition", args=[release.pk, "rollback"]), {"reason": "p99 up"})
    html = page(client, release.get_absolute_url())
    timeline = html.split("Timeline")[1]
    assert 'Rolled back</strong> <span class="text-muted">Canary → Rolled back' in timeline
    assert "p99 up" in timeline
    assert 'data-gate="approved_change"' not in html  # a rolled-back release has no next gate


def test_detail_query_count_is_bounded(client, as_role, django_assert_max_num_queries):
    release = release_in(Stage.TEST)
    as_role(roles.DEVELOPER)
    with django_assert_max_num_queries(40) as small:
        page(client, release.get_absolute_url())
    for i in range(10):
        report(Deployment, release, environment=Environment.TEST, run_id=f"d{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        page(client, release.get_absolute_url())


def test_a_transition_without_a_reason_is_refused_with_a_message(client, as_role):
    release = release_in(Stage.TEST)
    as_role(roles.DEVELOPER)
    response = client.post(
        reverse("releases:transition", args=[release.pk, "fail_test"]), follow=True
    )
    assert "Give a reason." in response.content.decode()
    assert Release.objects.get(pk=release.pk).stage == Stage.TEST


def test_an_unknown_action_is_404(client, as_role):
    release = release_in(Stage.TEST)
    as_role(roles.ADMINISTRATOR)
    assert client.post(f"/releases/{release.pk}/explode/").status_code == 404


def test_notes_page_and_markdown_export(client, as_role):
    release = ReleaseFactory(version="7.0.0", title="Big one", notes="All new.")
    ReleaseItem.objects.create(release=release, category="security", title="Patch CVE-2026-1")
    ReleaseItem.objects.create(
        release=release, category="feature", title="# Dark mode", link="https://x.test/1"
    )
    as_role(roles.REQUESTER)
    html = page(client, reverse("releases:notes", args=[release.pk]))
    assert "Patch CVE-2026-1" in html and "Dark mode" in html
    response = client.get(reverse("releases:notes_markdown", args=[release.pk]))
    assert response["Content-Type"].startswith("text/markdown")
    assert 'filename="release-notes-7.0.0.md"' in response["Content-Disposition"]
    text = response.content.decode()
    assert text.startswith("# 7.0.0 — Big one\n")
    assert "## Highlights\n\nAll new." in text
    # Security comes before features; a title that looks like a heading is escaped.
    assert text.index("## Security") < text.index("## New feature")
    assert "- \\# Dark mode ([link](https://x.test/1))" in text


def test_calendar_shows_planned_releases_and_production_deployments(client, as_role):
    as_role(roles.MANAGER)
    when = timezone.now().replace(day=12, hour=3)
    planned = ReleaseFactory(version="8.1.0", planned_at=when)
    done = release_in(Stage.DONE, version="8.0.0")
    report(Deployment, done, environment=Environment.PRODUCTION, finished_at=when)
    html = page(client, reverse("releases:calendar"), month=when.strftime("%Y-%m"))
    assert planned.version in html and "bi-rocket-takeoff" in html
    empty = page(client, reverse("releases:calendar"), month="2001-01")
    assert "No release is planned" in empty
    assert page(client, reverse("releases:calendar"), month="garbage")  # falls back to now
    ics = client.get(reverse("releases:calendar_ics")).content.decode()
    assert "BEGIN:VEVENT" in ics and "8.1.0" in ics


def test_my_work_lists_my_teams_releases_and_waiting_promotions(client, user_for):
    leader = user_for(roles.OPS_LEADER)
    team = TeamFactory()
    Membership.objects.create(team=team, user=leader)
    mine = release_in(Stage.TEST, team=team, version="m-1")
    other = release_in(Stage.TEST, version="o-1")
    waiting = release_in(Stage.CANARY, version="w-1", **canary_params())
    client.force_login(leader)
    html = page(client, reverse("home"))
    assert "Releases in flight" in html and "Releases waiting for production" in html
    section = html.split("Releases in flight")[1].split("Releases waiting")[0]
    assert mine.version in section and other.version not in section
    assert waiting.version in html.split("Releases waiting for production")[1]


def test_my_work_is_quiet_for_people_outside_releases(client, user_for):
    client.force_login(user_for(roles.REQUESTER))
    assert "Releases in flight" not in page(client, reverse("home"))


def test_dora_page_and_csv(client, as_role):
    as_role(roles.MANAGER)
    release = release_in(Stage.DONE)
    report(
        Deployment,
        release,
        environment=Environment.PRODUCTION,
        finished_at=timezone.now() - timedelta(hours=2),
    )
    html = page(client, reverse("releases:dora"))
    assert "All services" in html
    csv_text = client.get(reverse("releases:dora"), {"format": "csv"}).content.decode()
    assert csv_text.splitlines()[0].startswith("service,service_id,month,deployments")
    assert page(client, reverse("releases:dora"), months="nope", service="x")


def test_the_mine_checkbox_keeps_my_teams_releases(client, user_for, api_client_for):
    developer = user_for(roles.DEVELOPER)
    team = TeamFactory()
    Membership.objects.create(team=team, user=developer)
    mine = ReleaseFactory(team=team, version="mine-1")
    managed = ReleaseFactory(manager=developer, version="mine-2")
    other = ReleaseFactory(version="other-1")
    client.force_login(developer)
    html = page(client, reverse("releases:list"), mine="on")
    assert mine.version in html and managed.version in html and other.version not in html
    body = api_client_for(developer).get("/api/v1/releases/?mine=true").json()
    assert {r["version"] for r in body["results"]} == {"mine-1", "mine-2"}


def test_the_incident_link_form_appears_once_a_deployment_reached_users(client, as_role):
    as_role(roles.ONCALL)
    release = release_in(Stage.TEST)
    assert "Link incident" not in page(client, release.get_absolute_url())
    report(Deployment, release, environment=Environment.PRODUCTION)
    assert "Link incident" in page(client, release.get_absolute_url())


def test_linking_an_incident_from_the_page(client, as_role):
    from .factories import incident_row

    user = as_role(roles.ONCALL)
    release = release_in(Stage.PRODUCTION)
    incident = incident_row(title="Checkout down")
    deployment = release.deployments.get()
    response = client.post(
        reverse("releases:incident_link", args=[release.pk]),
        {"deployment": deployment.pk, "incident": incident.reference},
        follow=True,
    )
    html = response.content.decode()
    assert "The incident was linked" in html
    assert incident.reference in html
    assert deployment.incident_links.get().linked_by == user
    response = client.post(
        reverse("releases:incident_link", args=[release.pk]),
        {"deployment": deployment.pk, "incident": "INC-99999"},
        follow=True,
    )
    assert "Not found: INC-99999." in response.content.decode()


def test_developers_see_the_manual_deployment_form(client, as_role):
    as_role(roles.DEVELOPER)
    release = release_in(Stage.STAGING)
    html = page(client, release.get_absolute_url())
    assert 'id="record-deployment"' in html and 'value="staging" selected' in html
    as_role(roles.OPS_LEADER)  # no report permission
    assert 'id="record-deployment"' not in page(client, release.get_absolute_url())
