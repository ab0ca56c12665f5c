"""Pages: every role can read them, lists have a fixed query budget, forms show errors."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from backups.models import BackupPolicy, BackupRun, BackupTarget, RestoreTest
from itsm import roles
from tests.backups.factories import (
    BackupPolicyFactory,
    BackupRunFactory,
    BackupTargetFactory,
    RestoreTestFactory,
    StorageLocationFactory,
)

pytestmark = pytest.mark.django_db


def _fill(size):
    for i in range(size):
        policy = BackupPolicyFactory()
        BackupRunFactory(policy=policy, status="verified" if i % 2 else "failed")
        RestoreTestFactory(target=policy.target, planned_for=timezone.now() - timedelta(days=i))


@pytest.mark.parametrize("role", list(roles.ROLES))
def test_every_role_reads_every_page(client, user_for, role):
    _fill(2)
    run, drill = BackupRun.objects.first(), RestoreTest.objects.first()
    client.force_login(user_for(role))
    for url in (
        reverse("backups:list"),
        reverse("backups:runs"),
        reverse("backups:drills"),
        BackupTarget.objects.first().get_absolute_url(),
        run.get_absolute_url(),
        drill.get_absolute_url(),
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("name", ["backups:list", "backups:runs", "backups:drills"])
def test_list_pages_have_a_fixed_query_budget(
    client, make_user, name, django_assert_max_num_queries
):
    client.force_login(make_user(roles.ONCALL))
    _fill(3)
    with django_assert_max_num_queries(14) as small:
        assert client.get(reverse(name)).status_code == 200
    _fill(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse(name)).status_code == 200


def test_the_dashboard_shows_compliance_and_filters(client, make_user):
    late = BackupTargetFactory(
        name="Late DB", slug="late", created_at=timezone.now() - timedelta(days=2)
    )
    fine = BackupPolicyFactory(target=BackupTargetFactory(name="Fine DB", slug="fine"))
    BackupRunFactory(policy=fine, status="verified")
    client.force_login(make_user())
    page = client.get(reverse("backups:list")).content.decode()
    assert "Late DB" in page and "Fine DB" in page and "Breached" in page
    filtered = client.get(reverse("backups:list") + "?compliance=breached").content.decode()
    filtered = filtered.split("Next runs")[0]  # the table, not the side panels
    assert late.get_absolute_url() in filtered and fine.target.get_absolute_url() not in filtered
    empty = client.get(reverse("backups:list") + "?q=nothing-like-this").content.decode()
    assert "No target matches these filters" in empty


def test_an_administrator_creates_and_edits_a_target_and_a_policy(client, user_for):
    location = StorageLocationFactory()
    client.force_login(user_for(roles.ADMINISTRATOR))
    response = client.post(
        reverse("backups:target-new"),
        {
            "name": "Wiki files",
            "kind": "file_storage",
            "primary_medium": "disk",
            "at_risk_percent": 75,
            "is_active": "on",
            "storage_location": location.pk,
            "with_default_policies": "on",
        },
    )
    target = BackupTarget.objects.get(slug="wiki-files")
    assert response.status_code == 302 and response["Location"] == target.get_absolute_url()
    assert target.rpo == timedelta(hours=24) and target.policies.count() == 1
    response = client.post(
        reverse("backups:target-edit", args=["wiki-files"]),
        {
            "name": "Wiki files",
            "slug": "wiki-files",
            "kind": "file_storage",
            "primary_medium": "disk",
            "rpo": "12:00:00",
            "rto": "2:00:00",
            "at_risk_percent": 80,
            "drill_interval": "30 00:00:00",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert BackupTarget.objects.get(pk=target.pk).rpo == timedelta(hours=12)
    policy = target.policies.get()
    response = client.post(
        reverse("backups:policy-edit", args=["wiki-files", policy.pk]),
        {
            "name": policy.name,
            "method": "full",
            "interval": "1 00:00:00",
            "storage_location": location.pk,
            "start_grace": "1:00:00",
            "max_duration": "6:00:00",
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # no retention at all: a form error, not a 500
    assert "Keep a number of generations or of days" in response.content.decode()
    assert BackupPolicy.objects.get(pk=policy.pk).retention_generations == 7


def test_a_drill_interval_outside_weekly_to_quarterly_is_a_form_error(client, user_for):
    client.force_login(user_for(roles.ADMINISTRATOR))
    response = client.post(
        reverse("backups:target-new"),
        {
            "name": "X",
            "kind": "other",
            "primary_medium": "disk",
            "at_risk_percent": 75,
            "drill_interval": "1 00:00:00",
        },
    )
    assert response.status_code == 200 and "weekly to quarterly" in response.content.decode()
    assert not BackupTarget.objects.filter(name="X").exists()


@pytest.mark.parametrize("role", [roles.REQUESTER, roles.ONCALL])
def test_only_administrators_edit_targets(client, user_for, role):
    target = BackupTargetFactory()
    client.force_login(user_for(role))
    assert client.get(reverse("backups:target-new")).status_code == 403
    assert client.get(reverse("backups:target-edit", args=[target.slug])).status_code == 403


def test_back_up_now_queues_a_portal_run(client, user_for, django_capture_on_commit_callbacks):
    client.force_login(user_for(roles.ONCALL))
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("backups:portal-backup-now"))
    assert response.status_code == 302
    run = BackupRun.objects.get(target__is_portal=True)
    assert run.status == "scheduled" and run.origin == "portal" and len(callbacks) == 1
    client.force_login(user_for(roles.REQUESTER))
    assert client.post(reverse("backups:portal-backup-now")).status_code == 403


def test_planning_a_drill_from_the_page(client, user_for):
    target = BackupTargetFactory()
    client.force_login(user_for(roles.ONCALL))
    page = client.get(reverse("backups:drill-new") + f"?target={target.slug}")
    assert page.status_code == 200
    when = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("backups:drill-new"), {"target": target.pk, "planned_for": when})
    assert response.status_code == 302
    assert target.drills.filter(status="planned").exists()


def test_my_work_shows_backups_that_need_attention(client, user_for):
    BackupTargetFactory(name="Late DB", created_at=timezone.now() - timedelta(days=2))
    failed = BackupRunFactory(status="failed")
    client.force_login(user_for(roles.ONCALL))
    page = client.get(reverse("home")).content.decode()
    assert "Backups out of RPO or at risk" in page and "Late DB" in page
    assert failed.get_absolute_url() in page
    client.force_login(user_for(roles.REQUESTER))  # no team, no operator role: nothing
    assert "Backups out of RPO" not in client.get(reverse("home")).content.decode()


def test_test_restore_from_the_page_is_queued_only_for_a_succeeded_portal_backup(
    client, user_for, django_capture_on_commit_callbacks
):
    from itsm.models import AuditEvent

    target = BackupTarget.objects.filter(is_portal=True).first()
    portal = BackupPolicyFactory(target=target or BackupTargetFactory(is_portal=True))
    other = BackupPolicyFactory()
    client.force_login(user_for(roles.ONCALL))
    for run in (
        BackupRunFactory(policy=other, status="succeeded"),
        BackupRunFactory(policy=portal, status="failed"),
    ):
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post(reverse("backups:run-transition", args=[run.pk, "test_restore"]),
                                   follow=True)  # fmt: skip
        assert callbacks == []
        assert "Only a succeeded backup of the portal" in response.content.decode()
    run = BackupRunFactory(policy=portal, status="succeeded")
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("backups:run-transition", args=[run.pk, "test_restore"]))
    assert len(callbacks) == 1
    assert AuditEvent.objects.for_object(run).filter(action="test_restore_requested").count() == 1
    client.force_login(user_for(roles.REQUESTER))
    url = reverse("backups:run-transition", args=[run.pk, "test_restore"])
    assert client.post(url).status_code == 403


def test_a_run_transition_from_the_page_names_the_action_in_the_reader_language(client, user_for):
    run = BackupRunFactory(status="running")
    client.force_login(user_for(roles.ADMINISTRATOR))
    response = client.post(
        reverse("backups:run-transition", args=[run.pk, "fail"]),
        {"reason": "disk full"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert BackupRun.objects.get(pk=run.pk).status == "failed"
    assert "Done: Mark failed." in response.content.decode()
