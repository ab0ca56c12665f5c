"""Pages: they render, filter, sort, page, show exactly the allowed buttons, and keep a query
budget that does not grow with the data."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from changes import services as svc
from changes.models import (
    Approval,
    Change,
    ChangeClassPolicy,
    Comment,
    StandardTemplate,
    WorkLogEntry,
)
from itsm import roles
from tests.changes.factories import (
    ChangeFactory,
    FreezeFactory,
    TemplateFactory,
    WindowFactory,
    change_in_state,
    role_user,
)
from tests.itsm.factories import ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db


def page(client, name, *args, **params):
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def refs(html):
    return re.findall(r">(CHG-\d{5})<", html)


@pytest.fixture
def logged_in(client, people):
    client.force_login(people.manager)
    return client


def test_every_page_renders(logged_in, people):
    template = TemplateFactory(services=[ServiceFactory()])
    change = change_in_state("awaiting_approval", requester=people.requester,
                             change_class="major")  # fmt: skip
    meeting = svc.cab_meeting_create(actor=people.manager, source="web", title="CAB",
                                     starts_at=timezone.now())  # fmt: skip
    FreezeFactory()
    window = WindowFactory(recurrence="weekly")
    for name, args in [
        ("changes:list", []), ("changes:inbox", []), ("changes:create", []),
        ("changes:detail", [change.pk]), ("changes:calendar", []), ("changes:templates", []),
        ("changes:template_detail", [template.pk]), ("changes:template_new", []),
        ("changes:template_use", [template.pk]), ("changes:cab", []),
        ("changes:cab_detail", [meeting.pk]), ("changes:cab_new", []), ("changes:policies", []),
        ("changes:calendar_entry_new", ["freeze"]),
        ("changes:calendar_entry", ["window", window.pk]),
    ]:  # fmt: skip
        page(logged_in, name, *args)
    page(logged_in, "changes:calendar", view="week")


@pytest.mark.parametrize("state", list(Change.Status.values))
def test_the_detail_page_renders_in_every_state(logged_in, people, state):
    change = change_in_state(state, requester=people.requester, implementer=people.implementer)
    html = page(logged_in, "changes:detail", change.pk)
    assert change.reference in html


def test_the_buttons_are_exactly_the_allowed_transitions(client, people):
    change = change_in_state("awaiting_approval", requester=people.requester)

    def buttons(user):
        client.force_login(user)
        html = page(client, "changes:detail", change.pk)
        return set(re.findall(rf"/changes/{change.pk}/do/(\w+)/", html))

    assert buttons(people.manager) == {"approve", "reject", "cancel"}
    assert buttons(people.requester) == {"cancel"}
    assert buttons(people.leader) == set()
    assert buttons(people.outsider) == set()


def test_a_blocked_action_says_what_is_missing(client, people):
    change = ChangeFactory(requester=people.requester, rollback_plan="")
    client.force_login(people.requester)
    html = page(client, "changes:detail", change.pk)
    assert "plans are required before submission" in html
    assert f"/changes/{change.pk}/do/submit/" not in html


def test_list_filters_search_sort_and_page(logged_in, people):
    db_service = ServiceFactory(slug="db", criticality=1)
    team = TeamFactory(slug="ops")
    a = ChangeFactory(title="Alpha patch", requester=people.requester, change_class="major",
                      services=[db_service], owner_team=team)  # fmt: skip
    b = change_in_state("approved", title="Beta", requester=people.outsider)
    c = ChangeFactory(title="Gamma", requester=people.requester,
                      planned_start=timezone.now() + timedelta(days=60))  # fmt: skip
    assert refs(page(logged_in, "changes:list", change_class="major")) == [a.reference]
    assert refs(page(logged_in, "changes:list", status="approved")) == [b.reference]
    assert refs(page(logged_in, "changes:list", service="db")) == [a.reference]
    assert refs(page(logged_in, "changes:list", team="ops")) == [a.reference]
    assert set(refs(page(logged_in, "changes:list", requester="req"))) == {a.reference, c.reference}
    assert refs(page(logged_in, "changes:list", q="alpha")) == [a.reference]
    assert refs(page(logged_in, "changes:list", q=b.reference)) == [b.reference]
    after = (timezone.now() + timedelta(days=40)).date().isoformat()
    assert refs(page(logged_in, "changes:list", planned_after=after)) == [c.reference]
    assert refs(page(logged_in, "changes:list", ordering="title")) == [
        a.reference, b.reference, c.reference]  # fmt: skip
    assert refs(page(logged_in, "changes:list", ordering="-title")) == [
        c.reference, b.reference, a.reference]  # fmt: skip
    html = page(logged_in, "changes:list", ordering="title", page_size=25)
    assert "1–3 of 3" in html


def test_mine_and_overdue_reviews(client, people):
    mine = ChangeFactory(requester=people.requester)
    ChangeFactory(requester=people.outsider)
    overdue = change_in_state("completed", requester=people.outsider, implementer=people.requester,
                              review_due_at=timezone.now() - timedelta(hours=1))  # fmt: skip
    client.force_login(people.requester)
    assert set(refs(page(client, "changes:list", mine=1))) == {mine.reference, overdue.reference}
    assert refs(page(client, "changes:list", review="overdue")) == [overdue.reference]


def test_pagination_keeps_the_filters(logged_in, people):
    for _ in range(30):
        ChangeFactory(requester=people.requester, change_class="major", checklists=False)
    html = page(logged_in, "changes:list", change_class="major")
    assert len(refs(html)) == 25
    assert "change_class=major" in html and "page=2" in html
    assert len(refs(page(logged_in, "changes:list", change_class="major", page=2))) == 5


def test_an_empty_list_tells_what_to_do(logged_in):
    assert "No changes yet" in page(logged_in, "changes:list")
    assert "No change matches" in page(logged_in, "changes:list", q="nothing")


def queries(client, name, *args, **params) -> int:
    page(client, name, *args, **params)  # warm up the session
    with CaptureQueriesContext(connection) as captured:
        page(client, name, *args, **params)
    return len(captured)


def test_the_list_query_count_does_not_grow(logged_in, people, django_assert_max_num_queries):
    def add(n):
        for _ in range(n):
            ChangeFactory(
                requester=role_user(roles.REQUESTER),
                implementer=people.implementer,
                services=[ServiceFactory(), ServiceFactory()],
                checklists=False,
            )

    add(3)
    few = queries(logged_in, "changes:list", page_size=50)
    add(40)
    assert queries(logged_in, "changes:list", page_size=50) == few
    assert queries(logged_in, "changes:list", page_size=25, ordering="-risk") == few
    with django_assert_max_num_queries(12):
        page(logged_in, "changes:list", page_size=100)


def test_the_detail_query_count_does_not_grow(client, people, django_assert_max_num_queries):
    change = change_in_state("awaiting_approval", requester=people.requester, change_class="major")
    client.force_login(people.cab1)

    def add(n):
        for i in range(n):
            voter = role_user(roles.CAB_MEMBER)
            Approval.objects.create(change=change, approver=voter, decision="abstain",
                                    comment=f"{i}")  # fmt: skip
            Comment.objects.create(change=change, author=voter, text=f"note {i}")
            WorkLogEntry.objects.create(change=change, author=voter, text="step")
            svc.change_comment(change_id=change.pk, actor=voter, source="web", text="x")

    add(1)
    few = queries(client, "changes:detail", change.pk)
    add(2)  # stays below the quorum of 3... plus the first: 3 abstentions, still undecided
    assert queries(client, "changes:detail", change.pk) == few
    with django_assert_max_num_queries(30):
        page(client, "changes:detail", change.pk)


def test_the_inbox_and_calendar_query_counts_do_not_grow(
    logged_in, people, django_assert_max_num_queries
):  # fmt: skip
    def add(n):
        for _ in range(n):
            change_in_state("awaiting_approval", requester=people.requester, checklists=False,
                            planned_start=timezone.now() + timedelta(hours=2))  # fmt: skip
            WindowFactory()
            FreezeFactory()

    add(2)
    inbox, calendar = queries(logged_in, "changes:inbox"), queries(logged_in, "changes:calendar")
    add(20)
    assert queries(logged_in, "changes:inbox") == inbox
    assert queries(logged_in, "changes:calendar") == calendar
    with django_assert_max_num_queries(10):
        page(logged_in, "changes:inbox")
    with django_assert_max_num_queries(14):
        page(logged_in, "changes:calendar")


def test_the_inbox_lists_what_waits_for_me(client, people):
    normal = change_in_state("awaiting_approval", requester=people.requester)
    major = change_in_state("awaiting_approval", requester=people.requester, change_class="major")
    client.force_login(people.manager)
    assert refs(page(client, "changes:inbox")) == [normal.reference]
    client.force_login(people.cab1)
    assert refs(page(client, "changes:inbox")) == [major.reference]
    svc.change_vote(change_id=major.pk, actor=people.cab1, source="web", decision="abstain")
    assert "Nothing waits for your approval" in page(client, "changes:inbox")


def test_create_a_draft_through_the_page(client, people):
    service = ServiceFactory()
    client.force_login(people.requester)
    start = (timezone.localtime(timezone.now(), timezone.get_fixed_timezone(540))
             + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")  # fmt: skip
    response = client.post(reverse("changes:create"), {
        "title": "Rotate certificates", "change_class": "normal", "services": [service.pk],
        "affected_users": 0, "planned_start": start, "planned_end": "", "description": "",
        "execution_plan": "x", "rollback_plan": "y", "backup_plan": "z",
    })  # fmt: skip
    change = Change.objects.get()
    assert response.status_code == 302 and response["Location"] == change.get_absolute_url()
    assert change.requester == people.requester and list(change.services.all()) == [service]
    response = client.post(reverse("changes:create"), {"title": "", "change_class": "normal"})
    assert response.status_code == 200 and "This field is required" in response.content.decode()


def test_edit_a_draft_and_not_a_submitted_change(client, people):
    draft = ChangeFactory(requester=people.requester)
    client.force_login(people.requester)
    page(client, "changes:edit", draft.pk)
    submitted = change_in_state("submitted", requester=people.requester)
    response = client.get(reverse("changes:edit", args=[submitted.pk]))
    assert response.status_code == 302
    client.force_login(people.outsider)
    assert client.get(reverse("changes:edit", args=[draft.pk])).status_code == 403


def test_use_a_template_through_the_page(client, people):
    service = ServiceFactory(criticality=3)
    template = TemplateFactory(services=[service])
    client.force_login(people.requester)
    start = (timezone.localtime(timezone.now(), timezone.get_fixed_timezone(540))
             + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")  # fmt: skip
    response = client.post(reverse("changes:template_use", args=[template.pk]),
                           {"planned_start": start, "title": ""})  # fmt: skip
    change = Change.objects.get()
    assert response.status_code == 302 and change.status == "approved"
    assert change.template == template


def test_the_timeline_shows_events_votes_comments_and_work(client, people):
    change = change_in_state("awaiting_approval", requester=people.requester, change_class="major")
    svc.change_vote(change_id=change.pk, actor=people.cab1, source="web", decision="reject",
                    comment="Too close to the sale")  # fmt: skip
    svc.change_comment(change_id=change.pk, actor=people.requester, source="web",
                       text="Can we move it?")  # fmt: skip
    client.force_login(people.requester)
    html = page(client, "changes:detail", change.pk)
    assert "Too close to the sale" in html and "Can we move it?" in html


def test_the_calendar_shows_changes_windows_freezes_and_conflicts(logged_in, people):
    service = ServiceFactory()
    start = timezone.now() + timedelta(days=1)
    first = change_in_state(
        "scheduled",
        requester=people.requester,
        services=[service],
        planned_start=start,
        planned_end=start + timedelta(hours=2),
    )
    second = change_in_state(
        "approved",
        requester=people.requester,
        services=[service],
        planned_start=start,
        planned_end=start + timedelta(hours=1),
    )
    svc.change_schedule(change_id=second.pk, actor=people.requester, source="web")
    FreezeFactory(name="Sale freeze", start=start + timedelta(days=3))
    WindowFactory(name="Sunday window", start=start - timedelta(days=7), recurrence="weekly")
    html = page(logged_in, "changes:calendar", date=start.date().isoformat(), view="week")
    assert first.reference in html and second.reference in html
    assert "bi-exclamation-triangle" in html
    assert "Sunday window" in html
    month = page(logged_in, "changes:calendar", date=(start + timedelta(days=3)).date().isoformat())
    assert "Sale freeze" in month
    other = page(logged_in, "changes:calendar", date=start.date().isoformat(), view="week",
                 service=ServiceFactory().slug)  # fmt: skip
    assert first.reference not in other


def test_calendar_entries_are_edited_by_ops_managers_only(client, people):
    client.force_login(people.requester)
    assert client.get(reverse("changes:calendar_entry_new", args=["freeze"])).status_code == 403
    client.force_login(people.manager)
    start = timezone.localtime(timezone.now() + timedelta(days=2))
    response = client.post(reverse("changes:calendar_entry_new", args=["freeze"]), {
        "name": "Launch freeze", "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), "description": "",
    })  # fmt: skip
    assert response.status_code == 302
    response = client.post(reverse("changes:calendar_entry_new", args=["freeze"]), {
        "name": "Backwards", "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
    })  # fmt: skip
    assert response.status_code == 200 and "end must be after" in response.content.decode()


def test_policies_page_and_edit(client, people):
    normal = ChangeClassPolicy.objects.get(change_class="normal")
    client.force_login(people.manager)
    assert "3 business days" in page(client, "changes:policies")
    assert client.get(reverse("changes:policy_edit", args=[normal.pk])).status_code == 403
    client.force_login(people.admin)
    data = {
        f: getattr(normal, f)
        for f in [
            "approver_role",
            "required_approvals",
            "quorum",
            "majority_percent",
            "lead_time_business_days",
            "review_due_business_days",
            "approval_reminder_minutes",
        ]
    }
    data["lead_time_business_days"] = 4
    response = client.post(reverse("changes:policy_edit", args=[normal.pk]), data)
    assert response.status_code == 302
    assert ChangeClassPolicy.objects.get(pk=normal.pk).lead_time_business_days == 4


def test_template_pages_propose_approve_and_version(client, people):
    client.force_login(people.requester)
    response = client.post(reverse("changes:template_new"), {
        "name": "Log rotation", "execution_plan": "rotate", "rollback_plan": "restore",
        "backup_plan": "copy", "default_duration": "01:00:00", "description": "",
    })  # fmt: skip
    assert response.status_code == 302
    from changes.models import StandardTemplate

    template = StandardTemplate.objects.get()
    html = page(client, "changes:template_detail", template.pk)
    assert "template_action" not in html and "/approve/" not in html
    client.force_login(people.manager)
    client.post(reverse("changes:template_action", args=[template.pk, "approve"]))
    assert StandardTemplate.objects.get().status == "approved"
    client.post(reverse("changes:template_action", args=[template.pk, "new_version"]))
    assert StandardTemplate.objects.filter(family=template.family).count() == 2


def test_the_template_edit_page_is_only_for_its_proposer_and_approvers(client, people):
    template = TemplateFactory(proposed_by=people.requester, status="proposed")
    edit = reverse("changes:template_edit", args=[template.pk])
    client.force_login(people.outsider)
    assert client.get(edit).status_code == 403
    for user in (people.requester, people.manager):
        client.force_login(user)
        assert client.get(edit).status_code == 200
    StandardTemplate.objects.filter(pk=template.pk).update(status="approved")
    response = client.get(edit)  # an approved version never changes: back to its page
    assert response.status_code == 302 and response["Location"] == template.get_absolute_url()


def test_cab_meeting_pages(client, people):
    change = change_in_state("awaiting_approval", requester=people.requester, change_class="major")
    client.force_login(people.cab1)
    start = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("changes:cab_new"), {"title": "Weekly CAB", "starts_at": start})
    meeting_url = response["Location"]
    html = client.get(meeting_url).content.decode()
    assert change.reference in html and f"/changes/{change.pk}/do/vote/" in html
    from changes.models import CabMeeting

    meeting = CabMeeting.objects.get()
    response = client.post(reverse("changes:transition", args=[change.pk, "vote"]), {
        "decision": "approve", "comment": "fine", "meeting": meeting.pk, "next": meeting_url,
    })  # fmt: skip
    assert response["Location"] == meeting_url
    assert Approval.objects.get().meeting == meeting
    client.post(reverse("changes:cab_action", args=[meeting.pk, "close"]), {"minutes": "Done"})
    assert CabMeeting.objects.get().status == "held"


def test_consecutive_ticks_by_one_person_are_one_timeline_entry(client, people):
    change = change_in_state("scheduled", requester=people.requester,
                             implementer=people.implementer)  # fmt: skip
    for item in change.checklist_items.filter(kind="precheck")[:3]:
        svc.change_check_item(change_id=change.pk, item_id=item.pk, actor=people.implementer,
                              source="web", result="not_applicable")  # fmt: skip
    client.force_login(people.implementer)
    html = page(client, "changes:detail", change.pk)
    assert html.count("ticked 3 checks") == 1 and "ticked a check" not in html
