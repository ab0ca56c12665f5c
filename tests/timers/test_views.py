"""The administrator's timers page: who sees it, what it shows, constant queries, actions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from itsm import roles
from itsm.models import AuditEvent
from itsm.timers import services
from itsm.timers.models import SweepStat, Timer
from tests.timers import handlers  # noqa: F401
from tests.timers.factories import TimerFactory

pytestmark = pytest.mark.django_db
URL = reverse("timers:overview")


def test_anonymous_users_are_sent_to_the_login(client):
    assert client.get(URL).status_code == 302


@pytest.mark.parametrize(
    ("role", "status"),
    [(roles.REQUESTER, 403), (roles.ONCALL, 403), (roles.MANAGER, 403), (roles.ADMINISTRATOR, 200)],
)
def test_only_administrators_and_staff_see_the_timers(client, user_for, role, status):
    client.force_login(user_for(role))
    assert client.get(URL).status_code == status


def test_the_page_shows_overdue_soon_failed_and_the_last_sweep(client, admin_user):
    TimerFactory(due_in=timedelta(minutes=-3), key="late-one")
    TimerFactory(due_in=timedelta(minutes=20), key="soon-one")
    TimerFactory(due_in=timedelta(hours=5), key="later-one")
    TimerFactory(state=Timer.State.FAILED, last_error="RuntimeError: boom", key="bad-one")
    SweepStat.objects.create(name="sweeper", at=timezone.now(), duration_ms=12.5, fired=3)
    client.force_login(admin_user)
    html = client.get(URL).content.decode()
    assert "late-one" in html and "soon-one" in html and "bad-one" in html
    assert "later-one" not in html
    assert "12.5 ms" in html and "3 fired" in html
    assert "180 s" in html or "181 s" in html  # the lag of the oldest due timer
    assert "later-one" in client.get(URL, {"within": "24h"}).content.decode()
    assert "late-one" not in client.get(URL, {"kind": "timers.clock"}).content.decode()


def test_the_empty_page_says_what_is_going_on(client, admin_user):
    client.force_login(admin_user)
    html = client.get(URL).content.decode()
    assert "No sweep has run yet" in html and "No timer is overdue" in html


def test_queries_do_not_grow_with_the_rows(client, admin_user, django_assert_max_num_queries):
    client.force_login(admin_user)
    TimerFactory.create_batch(2, due_in=timedelta(minutes=-1))
    with django_assert_max_num_queries(20) as few:
        client.get(URL)
    TimerFactory.create_batch(30, due_in=timedelta(minutes=-1))
    TimerFactory.create_batch(30, due_in=timedelta(minutes=10))
    TimerFactory.create_batch(10, state=Timer.State.FAILED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(URL)


def test_an_administrator_retries_a_failed_timer(client, user_for):
    timer = TimerFactory(state=Timer.State.FAILED, attempts=5, due_in=timedelta(hours=-1))
    admin = user_for(roles.ADMINISTRATOR)
    client.force_login(admin)
    response = client.post(reverse("timers:retry", args=[timer.pk]), follow=True)
    assert "armed again" in response.content.decode()
    timer.refresh_from_db()
    assert timer.state == Timer.State.ARMED and timer.attempts == 0
    event = AuditEvent.objects.for_object(timer).get()
    assert (event.actor, event.from_state, event.to_state) == (admin, "failed", "armed")
    assert services.sweep().fired == 1
    # Retrying what is not failed is a flash message, not an error page.
    response = client.post(reverse("timers:retry", args=[timer.pk]), follow=True)
    assert response.status_code == 200 and "Only a failed timer" in response.content.decode()


def test_others_cannot_retry_or_probe(client, user_for):
    timer = TimerFactory(state=Timer.State.FAILED)
    client.force_login(user_for(roles.OPS_MANAGER))
    assert client.post(reverse("timers:retry", args=[timer.pk])).status_code == 403
    assert client.post(reverse("timers:probe")).status_code == 403
    assert client.get(reverse("timers:probe")).status_code in {403, 405}


def test_a_probe_records_how_late_it_fired(client, admin_user):
    client.force_login(admin_user)
    client.post(reverse("timers:probe"))
    probe = Timer.objects.get(kind=services.PROBE_KIND)
    Timer.objects.filter(pk=probe.pk).update(due_at=timezone.now() - timedelta(seconds=7))
    assert services.sweep().fired == 1
    stat = SweepStat.objects.get(name="probe")
    assert stat.fired == 1 and 7 <= stat.max_lateness_s < 60
    assert "s late" in client.get(URL).content.decode()


def test_metrics_export_the_sweep_and_the_lag(client, admin_user):
    TimerFactory(due_in=timedelta(minutes=-2))
    TimerFactory(state=Timer.State.FAILED)
    services.sweep()
    client.force_login(admin_user)
    text = client.get("/metrics").content.decode()
    assert "itsm_timers_failed 1.0" in text
    assert "itsm_timer_last_sweep_fired 1.0" in text
    assert "itsm_timer_last_sweep_claim_seconds" in text
    assert "itsm_timer_oldest_due_lag_seconds 0.0" in text


def test_an_unknown_filter_value_shows_an_empty_page_not_an_error(client, admin_user):
    TimerFactory(due_in=timedelta(minutes=-3), key="late-one")
    client.force_login(admin_user)
    response = client.get(URL, {"kind": "no.such.kind", "within": "forever"})
    assert response.status_code == 200 and "late-one" not in response.content.decode()


def test_clock_timers_are_named_by_what_they_time(client, admin_user):
    from itsm.timers.clocks import clock_start
    from tests.itsm.factories import TeamFactory

    team = TeamFactory()
    clock_start(subject=team, name="response", target=timedelta(minutes=30))
    client.force_login(admin_user)
    html = client.get(URL).content.decode()
    assert f"response clock · itsm.team #{team.pk}" in html
