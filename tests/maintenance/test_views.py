"""Pages: the same rules as the API, flash messages instead of errors, bounded queries."""

import pytest
from django.urls import reverse

from itsm import roles
from maintenance.models import MaintenancePlan, MaintenanceRun, PendingUpdate
from tests.itsm.factories import ServiceFactory

from .factories import JobFactory, PlanFactory, RunFactory, UpdateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_for(client, user_for):
    def login(role):
        client.force_login(user_for(role))
        return client

    return login


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("maintenance:list", []),
        ("maintenance:run_list", []),
        ("maintenance:update_list", []),
    ],
)
@pytest.mark.parametrize(
    ("role", "status"), [(roles.ADMINISTRATOR, 200), (roles.MANAGER, 200), (roles.REQUESTER, 403)]
)
def test_list_pages_by_role(browser_for, name, args, role, status):
    assert browser_for(role).get(reverse(name, args=args)).status_code == status


def test_the_plan_list_shows_the_default_plans_next_runs_and_schedules(browser_for):
    response = browser_for(roles.ADMINISTRATOR).get(reverse("maintenance:list"))
    html = response.content.decode()
    for name in [
        "Daily housekeeping",
        "Weekly database care",
        "Monthly review",
        "Weekly update review",
    ]:
        assert name in html
    assert "Every Sunday at 01:00" in html


def test_plan_detail_shows_jobs_runs_and_upcoming_occurrences(browser_for):
    plan = PlanFactory(name="Nightly")
    JobFactory(plan=plan, name="Sessions purge")
    RunFactory(plan=plan)
    response = browser_for(roles.OPS_MANAGER).get(plan.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Sessions purge" in html and "Next occurrences" in html
    assert "Run now" not in html  # ops managers watch, administrators run


def test_creating_a_plan_through_the_page(browser_for):
    client = browser_for(roles.ADMINISTRATOR)
    response = client.post(
        reverse("maintenance:plan_create"),
        {
            "name": "Quarter end",
            "schedule": "0 0 L 3,6,9,12 *",
            "time_zone": "Asia/Seoul",
            "is_active": "on",
            "max_duration": "01:00:00",
        },
        follow=True,
    )
    plan = MaintenancePlan.objects.get(name="Quarter end")
    assert response.redirect_chain[-1][0] == plan.get_absolute_url()
    assert plan.next_run_at is not None
    assert "timer armed" in " ".join(messages_of(response))


def test_a_bad_schedule_is_a_form_error_not_a_500(browser_for):
    response = browser_for(roles.ADMINISTRATOR).post(
        reverse("maintenance:plan_create"),
        {"name": "Bad", "schedule": "whenever", "time_zone": "UTC", "max_duration": "01:00:00"},
    )
    assert response.status_code == 200
    assert "five fields" in response.content.decode()
    assert not MaintenancePlan.objects.filter(name="Bad").exists()


def test_editing_pausing_and_running_a_plan(browser_for):
    plan = PlanFactory()
    JobFactory(plan=plan)
    client = browser_for(roles.ADMINISTRATOR)
    response = client.post(
        reverse("maintenance:plan_edit", args=[plan.pk]),
        {"name": plan.name, "schedule": "15 2 * * *", "time_zone": "UTC", "is_active": "on",
         "max_duration": "02:00:00"},
    )  # fmt: skip
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.schedule, plan.next_run_at.hour, plan.next_run_at.minute) == ("15 2 * * *", 2, 15)
    client.post(reverse("maintenance:plan_toggle", args=[plan.pk]))
    plan.refresh_from_db()
    assert not plan.is_active and plan.next_run_at is None
    response = client.post(reverse("maintenance:plan_run", args=[plan.pk]), follow=True)
    assert MaintenanceRun.objects.filter(plan=plan, trigger="manual").count() == 1
    response = client.post(reverse("maintenance:plan_run", args=[plan.pk]), follow=True)
    assert "already queued or running" in " ".join(messages_of(response))


def test_a_manager_cannot_run_or_edit_a_plan(browser_for):
    plan = PlanFactory()
    JobFactory(plan=plan)
    client = browser_for(roles.MANAGER)
    assert client.post(reverse("maintenance:plan_run", args=[plan.pk])).status_code == 403
    assert client.get(reverse("maintenance:plan_edit", args=[plan.pk])).status_code == 403
    assert not MaintenanceRun.objects.exists()


def test_adding_a_job_with_bad_parameters_shows_the_message(browser_for):
    plan = PlanFactory()
    client = browser_for(roles.ADMINISTRATOR)
    response = client.post(
        reverse("maintenance:job_add", args=[plan.pk]),
        {"name": "Tmp", "kind": "clean_temp_files", "position": 10, "is_active": "on",
         "parameters": '{"max_age_hours": "soon"}'},
        follow=True,
    )  # fmt: skip
    assert "whole number" in " ".join(messages_of(response))
    assert not plan.jobs.exists()
    client.post(
        reverse("maintenance:job_add", args=[plan.pk]),
        {"name": "Tmp", "kind": "clean_temp_files", "position": 10, "is_active": "on",
         "parameters": '{"max_age_hours": 6}'},
    )  # fmt: skip
    assert plan.jobs.get().parameters == {"max_age_hours": 6}


def test_run_list_filters_by_url_query(browser_for):
    plan = PlanFactory(name="Filtered plan")
    RunFactory(plan=plan)
    RunFactory()
    client = browser_for(roles.MANAGER)
    response = client.get(reverse("maintenance:run_list"), {"plan": plan.pk})
    assert len(response.context["page"].object_list) == 1
    response = client.get(reverse("maintenance:run_list"), {"status": "failed"})
    assert "No run matches these filters" in response.content.decode()


def test_run_detail_shows_each_jobs_output(browser_for, run_on_commit, user_for):
    from maintenance import services

    plan = PlanFactory()
    JobFactory(plan=plan, name="Purge")
    run = run_on_commit(
        services.plan_run_now, plan_id=plan.pk, actor=user_for(roles.ADMINISTRATOR), source="web"
    )
    html = browser_for(roles.OPS_LEADER).get(run.get_absolute_url()).content.decode()
    assert "Purge" in html and "expired sessions" in html


def test_registering_and_dismissing_an_update_through_the_pages(browser_for):
    service = ServiceFactory()
    client = browser_for(roles.OPS_MANAGER)
    response = client.post(
        reverse("maintenance:update_create"),
        {"component": "nginx", "version": "1.27.1", "kind": "security", "severity": 2,
         "services": [service.pk], "notes": "CVE fix"},
        follow=True,
    )  # fmt: skip
    update = PendingUpdate.objects.get(component="nginx")
    assert response.redirect_chain[-1][0] == update.get_absolute_url()
    response = client.post(
        reverse("maintenance:update_action", args=[update.pk, "dismiss"]), {"note": ""}, follow=True
    )
    assert "Say why" in " ".join(messages_of(response))
    client.post(
        reverse("maintenance:update_action", args=[update.pk, "dismiss"]), {"note": "not used"}
    )
    assert PendingUpdate.objects.get(pk=update.pk).status == "dismissed"
    response = client.post(
        reverse("maintenance:update_action", args=[update.pk, "apply"]), follow=True
    )
    assert "not allowed in the current state" in " ".join(messages_of(response))


def test_scheduling_without_a_window_flashes_why(browser_for):
    update = UpdateFactory(services=[ServiceFactory()])
    response = browser_for(roles.OPS_LEADER).post(
        reverse("maintenance:update_action", args=[update.pk, "schedule"]), follow=True
    )
    assert "No maintenance window" in " ".join(messages_of(response))
    assert PendingUpdate.objects.get(pk=update.pk).status == "analysed"


def test_an_oncall_engineer_registers_but_cannot_dismiss(browser_for):
    update = UpdateFactory()
    client = browser_for(roles.ONCALL)
    assert client.get(reverse("maintenance:update_create")).status_code == 200
    response = client.post(
        reverse("maintenance:update_action", args=[update.pk, "dismiss"]), {"note": "x"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "name", ["maintenance:list", "maintenance:run_list", "maintenance:update_list"]
)
def test_list_page_queries_do_not_grow_with_rows(browser_for, name, django_assert_max_num_queries):
    client = browser_for(roles.ADMINISTRATOR)

    def add(n):
        for _ in range(n):
            plan = PlanFactory()
            JobFactory(plan=plan)
            RunFactory(plan=plan)
            UpdateFactory(services=[ServiceFactory()])

    add(2)
    with django_assert_max_num_queries(30) as small:
        client.get(reverse(name))
    add(20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse(name)).status_code == 200


def test_home_page_lists_failed_runs_for_administrators(browser_for):
    from django.utils import timezone

    run = RunFactory(plan=PlanFactory(name="Broken nightly"))
    MaintenanceRun.objects.filter(pk=run.pk).update(status="failed", finished_at=timezone.now())
    html = browser_for(roles.ADMINISTRATOR).get(reverse("home")).content.decode()
    assert "Failed maintenance runs" in html and "Broken nightly" in html


def test_every_form_and_detail_page_renders(browser_for):
    plan = PlanFactory()
    job = JobFactory(plan=plan)
    run = RunFactory(plan=plan)
    update = UpdateFactory(services=[ServiceFactory()])
    client = browser_for(roles.ADMINISTRATOR)
    for url in [
        reverse("maintenance:plan_create"),
        reverse("maintenance:plan_edit", args=[plan.pk]),
        reverse("maintenance:job_add", args=[plan.pk]),
        reverse("maintenance:job_edit", args=[job.pk]),
        reverse("maintenance:update_create"),
        reverse("maintenance:update_edit", args=[update.pk]),
        update.get_absolute_url(),
        run.get_absolute_url(),
    ]:
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("maintenance:run_detail", args=[99999])).status_code == 404
