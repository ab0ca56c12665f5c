"""Lead time between submission and planned start, on the owning team's business calendar
(weekends and Korean or Japanese public holidays do not count)."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from changes import services as svc
from changes.models import Status
from itsm.errors import DomainError
from itsm.models import BusinessCalendar
from tests.changes.factories import ChangeFactory
from tests.itsm.factories import TeamFactory

pytestmark = pytest.mark.django_db
SEOUL, TOKYO = zoneinfo.ZoneInfo("Asia/Seoul"), zoneinfo.ZoneInfo("Asia/Tokyo")


def submit(people, *, country, change_class, submitted, planned):
    zone = SEOUL if country == "KR" else TOKYO
    team = TeamFactory(calendar=BusinessCalendar.objects.get(country=country))
    start = dt.datetime.fromisoformat(planned).replace(tzinfo=zone)
    with time_machine.travel(dt.datetime.fromisoformat(submitted).replace(tzinfo=zone)):
        change = ChangeFactory(
            requester=people.requester, change_class=change_class, owner_team=team,
            planned_start=start, planned_end=start + dt.timedelta(hours=2),
        )  # fmt: skip
        return svc.change_submit(change_id=change.pk, actor=people.requester, source="web")


@pytest.mark.parametrize(
    ("country", "change_class", "submitted", "planned", "ok"),
    [
        # Chuseok 2026 (Thu 24 – Sat 26 Sep) in Korea: Mon 28 and Tue 29 are two days only.
        ("KR", "normal", "2026-09-23 10:00", "2026-09-29 10:00", False),
        ("KR", "normal", "2026-09-23 10:00", "2026-09-30 10:00", True),
        # The same dates in Japan: 24, 25, 28, 29 are working days there.
        ("JP", "normal", "2026-09-23 10:00", "2026-09-29 10:00", True),
        # Golden Week 2026 in Japan: 29 Apr and 3–6 May are holidays.
        ("JP", "normal", "2026-04-28 10:00", "2026-05-06 10:00", False),
        ("JP", "normal", "2026-04-28 10:00", "2026-05-07 10:00", True),
        # In Korea 29, 30 Apr and 4 May count (1 May Labour Day, 5 May Children's Day do not).
        ("KR", "normal", "2026-04-28 10:00", "2026-05-04 10:00", True),
        ("KR", "normal", "2026-04-28 10:00", "2026-04-30 10:00", False),
        # Major changes need a week (5 business days): Chuseok pushes it to 1 October.
        ("KR", "major", "2026-09-22 10:00", "2026-09-30 10:00", False),
        ("KR", "major", "2026-09-22 10:00", "2026-10-01 10:00", True),
        # Standard and emergency changes need no lead time.
        ("KR", "emergency", "2026-09-23 10:00", "2026-09-23 11:00", True),
    ],
)
def test_lead_time_on_the_business_calendar(people, country, change_class, submitted, planned, ok):
    if ok:
        change = submit(people, country=country, change_class=change_class,
                        submitted=submitted, planned=planned)  # fmt: skip
        assert change.status in {Status.SUBMITTED, Status.AWAITING_APPROVAL}
    else:
        with pytest.raises(DomainError) as refused:
            submit(people, country=country, change_class=change_class,
                   submitted=submitted, planned=planned)  # fmt: skip
        assert refused.value.code == "lead_time"
        assert "emergency change" in str(refused.value.message)


def test_the_refusal_names_the_earliest_possible_start(people):
    with pytest.raises(DomainError) as refused:
        submit(people, country="KR", change_class="normal",
               submitted="2026-09-23 10:00", planned="2026-09-28 10:00")  # fmt: skip
    message = str(refused.value.message)
    assert "3 business days" in message and "this one has 1" in message
    assert "Sept. 30, 2026" in message or "2026-09-30" in message


def test_the_lead_time_is_policy(people):
    from changes.models import ChangeClassPolicy

    ChangeClassPolicy.objects.filter(change_class="normal").update(lead_time_business_days=1)
    change = submit(people, country="KR", change_class="normal",
                    submitted="2026-09-23 10:00", planned="2026-09-28 10:00")  # fmt: skip
    assert change.status == Status.SUBMITTED
