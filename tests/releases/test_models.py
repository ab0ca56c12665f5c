"""Policies and model rules that do not need a workflow."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from releases.models import Cadence, Release, ReleaseKindPolicy, Strategy

from .factories import ReleaseFactory

pytestmark = pytest.mark.django_db


def policy(kind):
    return ReleaseKindPolicy.objects.get(kind=kind)


def test_the_migration_writes_domain_defaults():
    cadences = dict(ReleaseKindPolicy.objects.values_list("kind", "cadence"))
    assert cadences == {
        "major": Cadence.QUARTERLY,
        "minor": Cadence.MONTHLY,
        "patch": Cadence.WEEKLY,
        "hotfix": Cadence.ANY_TIME,
    }
    assert policy("hotfix").covering_change_classes == ["emergency"]


@pytest.mark.parametrize(
    ("kind", "after", "expected"),
    [
        ("patch", date(2026, 3, 2), date(2026, 3, 4)),  # Monday → Wednesday
        ("patch", date(2026, 3, 4), date(2026, 3, 11)),  # on a Wednesday → next week's
        ("minor", date(2026, 3, 9), date(2026, 3, 10)),
        ("minor", date(2026, 3, 10), date(2026, 4, 10)),
        ("minor", date(2026, 12, 20), date(2027, 1, 10)),
        ("major", date(2026, 2, 1), date(2026, 4, 15)),  # Jan 15 passed; next quarter
        ("major", date(2026, 1, 2), date(2026, 1, 15)),
        ("major", date(2026, 11, 30), date(2027, 1, 15)),
        ("hotfix", date(2026, 3, 2), None),
    ],
)
def test_next_cadence_slot(kind, after, expected):
    assert policy(kind).next_slot(after) == expected


def test_slots_in_a_month_and_on_cadence():
    patch = policy("patch")
    assert patch.slots_between(date(2026, 3, 1), date(2026, 3, 31)) == [
        date(2026, 3, d) for d in (4, 11, 18, 25)
    ]
    assert patch.is_on_cadence(date(2026, 3, 11)) and not patch.is_on_cadence(date(2026, 3, 12))
    assert policy("hotfix").is_on_cadence(date(2026, 3, 12))


def test_policy_validates_change_classes():
    p = policy("minor")
    p.covering_change_classes = ["weekly"]
    with pytest.raises(ValidationError):
        p.full_clean()
    p.covering_change_classes = []
    with pytest.raises(ValidationError):
        p.full_clean()


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"strategy": Strategy.CANARY, "canary_duration_minutes": 30}, "canary_percent"),
        ({"strategy": Strategy.CANARY, "canary_percent": 5}, "canary_duration_minutes"),
        ({"strategy": Strategy.ROLLING, "rolling_batch_percent": None}, "rolling_batch_percent"),
    ],
)
def test_a_strategy_needs_its_parameters(fields, error_field):
    release = ReleaseFactory.build(**fields)
    with pytest.raises(ValidationError) as info:
        release.clean()
    assert error_field in info.value.message_dict


def test_blue_green_needs_no_parameter():
    ReleaseFactory.build(strategy=Strategy.BLUE_GREEN, rolling_batch_percent=None).clean()


def test_the_stage_is_protected():
    release = ReleaseFactory()
    with pytest.raises(AttributeError):
        release.stage = "production"
    assert Release.objects.get(pk=release.pk).stage == "development"
