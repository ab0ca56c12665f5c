"""Pages: the triage queue, lists, detail, postmortem, and their query budgets."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import Incident, Postmortem, Status

from .factories import SYSTEM, drive, publish_postmortem, report

pytestmark = pytest.mark.django_db


def login(client, world, name="oncall"):
    client.force_login(world.user(name))
    return client


def test_queue_orders_by_what_breaches_first(world, client):
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(minutes=10), tick=False):
        p4_old = report(world, priority="P4", title="old P4")  # response due in a business day
    p2 = report(world, priority="P2", title="fresh P2")  # 30 min from now
    p1 = report(world, priority="P1", title="fresh P1")  # 15 min from now
    acked = drive(
        world, report(world, priority="P1", title="acked P1"), Status.INVESTIGATING
    )  # 4 h
    waiting = drive(world, report(world, priority="P1", title="waiting"), Status.WAITING)  # paused
    drive(world, report(world, priority="P1", title="done"), Status.RECOVERED)
    page = login(client, world).get(reverse("incidents:queue")).content.decode()
    order = re.findall(r"INC-\d+</a> ([^<]+?)\s*(?:<|$)", page)
    assert [title.strip() for title in order] == [
        "fresh P1",
        "fresh P2",
        "acked P1",
        "old P4",
        "waiting",
    ]
    assert page.count('data-deadline="') == 4
    assert (
        p1.response_due_at < p2.response_due_at < acked.resolution_due_at < p4_old.response_due_at
    )
    assert waiting.next_due_at is None


def test_queue_is_polled_by_htmx_and_acknowledges_in_one_click(world, client):
    incident = report(world, priority="P1")
    login(client, world)
    partial = client.get(reverse("incidents:queue"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and incident.reference in partial
    page = client.get(reverse("incidents:queue")).content.decode()
    assert 'hx-trigger="every 15s"' in page
    response = client.post(
        reverse("incidents:action", args=[incident.pk, "acknowledge"]),
        {"next": "queue"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert "Acknowledged" in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).status == Status.ACKNOWLEDGED


def test_queue_without_incidents_says_what_to_do(world, client):
    page = login(client, world).get(reverse("incidents:queue")).content.decode()
    assert "Nothing to triage" in page


@pytest.mark.parametrize("n", [2, 25])
def test_queue_and_list_query_counts_do_not_grow(world, client, django_assert_max_num_queries, n):
    for i in range(n):
        incident = report(world, priority=["P1", "P2", "P3", "P4"][i % 4], title=f"incident {i}")
        if i % 2:
            drive(world, incident, Status.INVESTIGATING)
    login(client, world)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("incidents:queue")).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("incidents:list")).status_code == 200
    with django_assert_max_num_queries(10):
        assert (
            client.get(
                reverse("incidents:list") + "?state=active&priority=P1&breached=false"
            ).status_code
            == 200
        )


@pytest.mark.parametrize("n", [1, 12])
def test_detail_and_postmortem_query_counts_do_not_grow_with_history(
    world, client, django_assert_max_num_queries, n
):
    incident = drive(world, report(world, priority="P1"), Status.VERIFIED)
    publish_postmortem(world, incident)
    leader = world.user("ops_leader")
    for i in range(n):
        move = services.incident_deescalate if i % 2 else services.incident_escalate
        move(incident_id=incident.pk, actor=leader, source=SYSTEM, reason=f"step {i}")
        services.action_item_add(
            postmortem_id=incident.postmortem.pk, actor=world.user("oncall"), source=SYSTEM,
            title=f"item {i}", owner=world.user("developer"), team=world.team,
            due_date=dt.date(2030, 1, 1),
        )  # fmt: skip
    login(client, world, "ops_leader")
    with django_assert_max_num_queries(18):
        assert client.get(incident.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(13):
        assert client.get(reverse("incidents:postmortem", args=[incident.pk])).status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get(reverse("incidents:action-items") + "?owner=developer").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(reverse("incidents:notifications")).status_code == 200


def test_list_filters_by_url_and_shows_empty_states(world, client):
    report(world, priority="P1", title="db down")
    report(world, priority="P4", title="typo")
    login(client, world)
    page = client.get(reverse("incidents:list") + "?priority=P1").content.decode()
    assert "db down" in page and "typo" not in page
    page = client.get(reverse("incidents:list") + "?q=nothing-like-this").content.decode()
    assert "No incident matches these filters" in page


def test_report_page_creates_an_incident(world, client):
    login(client, world, "reporter")
    response = client.post(
        reverse("incidents:create"),
        {
            "title": "Payments fail", "service": world.always.pk, "scope": "all_users",
            "business_impact": "revenue_loss", "urgency": "immediate", "detected_by": "user",
        },
    )  # fmt: skip
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()
    assert incident.priority == "P1" and incident.reported_by == world.user("reporter")


def test_executives_may_not_report(world, client):
    login(client, world, "executive")
    assert client.get(reverse("incidents:create")).status_code == 403


def test_detail_shows_clocks_escalation_and_timeline(world, client):
    incident = report(world, priority="P1")
    page = login(client, world).get(incident.get_absolute_url()).content.decode()
    assert "clock-response" in page and "clock-resolution" in page
    assert f'hx-get="/incidents/{incident.pk}/live/"' in page
    assert "Initial notification" in page and "<strong>Reported</strong>" in page
    live = client.get(reverse("incidents:live", args=[incident.pk])).content.decode()
    assert live.startswith('\n<div id="live"') or live.lstrip().startswith('<div id="live"')


def test_timeline_names_states_by_their_translated_labels(world, client):
    incident = drive(world, report(world, priority="P1"), Status.ACKNOWLEDGED)
    client = login(client, world)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Detected → Acknowledged" in page
    assert "detected → acknowledged" not in page
    client.post(reverse("set_language"), {"language": "ko", "next": "/"})
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "detected →" not in page and "→ acknowledged" not in page


def test_clock_names_are_labels_in_the_reader_language(world, client):
    incident = report(world, priority="P1")
    user = world.user("oncall")
    user.language = "ko"
    user.save()
    client = login(client, world)
    client.cookies["django_language"] = "ko"
    page = client.get(incident.get_absolute_url()).content.decode()
    assert '<th scope="row">응답</th>' in page and '<th scope="row">해결</th>' in page
    assert "Response" not in page and "Resolution" not in page


def test_page_form_errors_are_flashed_not_500(world, client):
    incident = drive(world, report(world), Status.ACKNOWLEDGED)
    response = login(client, world).post(
        reverse("incidents:action", args=[incident.pk, "recover"]), {}, follow=True
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    response = client.post(
        reverse("incidents:action", args=[incident.pk, "merge"]),
        {"merge-into": "INC-99999"},
        follow=True,
    )
    assert response.status_code == 404 or "No such incident" in response.content.decode()


def test_edit_page(world, client):
    incident = report(world)
    login(client, world)
    response = client.post(
        reverse("incidents:edit", args=[incident.pk]),
        {"title": "New title", "description": "d", "affected_services": [world.office.pk]},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.title == "New title" and list(incident.affected_services.all()) == [
        world.office
    ]


def test_postmortem_page_edit_and_publish(world, client):
    incident = drive(world, report(world, priority="P2"), Status.RECOVERED)
    login(client, world)
    url = reverse("incidents:postmortem", args=[incident.pk])
    response = client.post(
        url, {"summary": "s", "why_1": "a", "why_2": "b", "resolution": "r", "prevention": "p"}
    )
    assert response.status_code == 302
    pm = Postmortem.objects.get(incident=incident)
    assert pm.five_whys == ["a", "b"]
    client.post(reverse("incidents:postmortem-action", args=[incident.pk, "submit"]))
    page = client.get(url).content.decode()
    assert "Publish" not in page  # the on-call engineer is no reviewer
    login(client, world, "ops_manager")
    client.post(reverse("incidents:postmortem-action", args=[incident.pk, "publish"]))
    pm.refresh_from_db()
    assert pm.status == "published"


def test_notifications_page_and_home_sections(world, client):
    report(world, priority="P1")
    login(client, world)
    page = client.get(reverse("incidents:notifications")).content.decode()
    assert "escalated to you" in page
    client.post(reverse("incidents:notifications-read"))
    home = client.get(reverse("home")).content.decode()
    assert "Unacknowledged incidents of my teams" in home and "P1 trouble" in home


def test_breached_clocks_show_as_badges_and_filter(world, client, api_client_for):
    late = report(
        world,
        priority="P1",
        title="late one",
        detected_at=timezone.now() - dt.timedelta(minutes=20),
    )
    report(world, priority="P1", title="fresh one")
    login(client, world)
    for url in (reverse("incidents:queue"), reverse("incidents:list")):
        page = client.get(url).content.decode()
        assert page.count("Response breached") == 1 and "Resolution breached" not in page
    page = client.get(reverse("incidents:list") + "?breached=true").content.decode()
    assert "late one" in page and "fresh one" not in page
    api = api_client_for(world.user("oncall"))
    assert [i["id"] for i in api.get("/api/v1/incidents/?breached=true").json()["results"]] == [
        late.pk
    ]


def test_a_bad_filter_value_is_shown_not_a_500(world, client):
    report(world, priority="P1", title="db down")
    page = login(client, world).get(reverse("incidents:list") + "?priority=P9&team=nope")
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()


@pytest.mark.parametrize(
    "model",
    [
        "prioritymatrixcell",
        "prioritypolicy",
        "escalationpolicy",
        "incident",
        "postmortem",
        "actionitem",
        "notification",
    ],
)
def test_admin_pages_for_policies_and_records(world, client, model):
    drive(world, report(world, priority="P1"), Status.RECOVERED)
    from incidents.models import EscalationPolicy

    client.force_login(
        world.user("admin").__class__.objects.create_superuser("root", "r@example.com", "pw-123456")
    )
    assert client.get(f"/admin/incidents/{model}/").status_code == 200
    if model == "escalationpolicy":
        policy = EscalationPolicy.objects.get()
        assert (
            client.get(f"/admin/incidents/escalationpolicy/{policy.pk}/change/").status_code == 200
        )
