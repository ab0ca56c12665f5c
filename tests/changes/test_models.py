"""Pure parts: risk, recurrence of maintenance windows, guards and the model's rules."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from changes import risk
from changes.models import Change, ChangeClassPolicy, MaintenanceWindow
from changes.models.change import has_plans, risk_fits_class

UTC = dt.UTC


def facts(**kwargs):
    base = {"has_rollback_plan": True, "rollback_tested": True, "tested_beforehand": True}
    base.update(kwargs)
    return risk.RiskInput(**base)


def test_a_routine_change_is_low_risk_and_suggests_standard():
    result = risk.assess(facts(criticalities=(3, 4), impacted_count=2))
    assert (result.level, result.suggested_class, result.reasons) == ("low", "standard", [])


def test_a_critical_service_with_short_notice_is_medium():
    result = risk.assess(facts(criticalities=(1,), lead_time_short=True))
    assert result.reasons == ["critical_service", "short_lead_time"]
    assert result.score == 5 and result.level == "medium" and result.suggested_class == "normal"


def test_no_rollback_plan_on_a_critical_service_is_high_and_suggests_major():
    result = risk.assess(facts(criticalities=(1,), has_rollback_plan=False))
    assert result.level == "high" and result.suggested_class == "major"
    assert "no_rollback_plan" in result.reasons


@given(
    crit=st.lists(st.integers(1, 4), max_size=5),
    users=st.integers(0, 100_000),
    flags=st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_adding_a_risk_factor_never_lowers_the_score(crit, users, flags):
    short, downtime, data, tested, rollback_tested, first = flags
    base = risk.RiskInput(criticalities=tuple(crit), affected_users=users, lead_time_short=short,
                          causes_downtime=downtime, changes_data=data, tested_beforehand=tested,
                          rollback_tested=rollback_tested, first_of_its_kind=first)  # fmt: skip
    worse = risk.RiskInput(**{**base.__dict__, "criticalities": (*crit, 1), "changes_data": True})
    assert risk.assess(worse).score >= risk.assess(base).score
    assert risk.assess(base).level in {"low", "medium", "high"}


def test_every_factor_is_explained():
    assert len(risk.explain(list(risk.FACTORS))) == len(risk.FACTORS)


def window(recurrence="", **kwargs):
    return MaintenanceWindow(
        name="w",
        start=dt.datetime(2026, 1, 4, 16, 0, tzinfo=UTC),  # Sunday 01:00 in Seoul
        end=dt.datetime(2026, 1, 4, 20, 0, tzinfo=UTC),
        recurrence=recurrence,
        **kwargs,
    )


def test_a_weekly_window_repeats_and_can_be_found_years_later():
    weekly = window("weekly")
    found = weekly.occurrences(
        dt.datetime(2028, 3, 1, tzinfo=UTC), dt.datetime(2028, 3, 15, tzinfo=UTC)
    )
    assert len(found) == 2 and all(start.weekday() == 6 for start, _end in found)
    assert all(end - start == dt.timedelta(hours=4) for start, end in found)


def test_a_one_off_window_and_an_ended_recurrence():
    once = window()
    assert once.occurrences(
        dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2026, 2, 1, tzinfo=UTC)
    ) == [(once.start, once.end)]
    assert (
        once.occurrences(dt.datetime(2026, 2, 1, tzinfo=UTC), dt.datetime(2026, 3, 1, tzinfo=UTC))
        == []
    )
    until = window("daily", recur_until=dt.datetime(2026, 1, 6, tzinfo=UTC))
    assert len(until.occurrences(dt.datetime(2026, 1, 1, tzinfo=UTC),
                                 dt.datetime(2026, 2, 1, tzinfo=UTC))) == 2  # fmt: skip


def test_a_monthly_window_skips_months_without_that_day():
    monthly = MaintenanceWindow(
        name="m", start=dt.datetime(2026, 1, 31, 0, 0, tzinfo=UTC),
        end=dt.datetime(2026, 1, 31, 2, 0, tzinfo=UTC), recurrence="monthly",
    )  # fmt: skip
    found = monthly.occurrences(dt.datetime(2026, 1, 1, tzinfo=UTC),
                                dt.datetime(2026, 6, 1, tzinfo=UTC))  # fmt: skip
    assert [s.month for s, _e in found] == [1, 3, 5]


def test_an_occurrence_overlapping_the_start_of_the_range_is_included():
    weekly = window("weekly")
    found = weekly.occurrences(dt.datetime(2026, 1, 11, 18, 0, tzinfo=UTC),
                               dt.datetime(2026, 1, 12, tzinfo=UTC))  # fmt: skip
    assert found == [(dt.datetime(2026, 1, 11, 16, tzinfo=UTC),
                      dt.datetime(2026, 1, 11, 20, tzinfo=UTC))]  # fmt: skip


def test_guards_read_only_the_instance():
    change = Change(execution_plan="x", rollback_plan="y", backup_plan=" ")
    assert not has_plans(change)
    change.backup_plan = "z"
    assert has_plans(change)
    assert not risk_fits_class(Change(change_class="standard", risk_level="high"))
    assert risk_fits_class(Change(change_class="normal", risk_level="high"))


def test_the_status_cannot_be_written_directly():
    change = Change(title="x")
    with pytest.raises(AttributeError):
        change.status = "approved"


@pytest.mark.django_db
def test_the_migration_writes_the_domain_defaults():
    policies = {p.change_class: p for p in ChangeClassPolicy.objects.all()}
    assert policies["standard"].approver_role == "ops_leader"
    assert policies["standard"].auto_approve_from_template
    assert policies["normal"].approver_role == "ops_manager"
    assert policies["normal"].lead_time_business_days == 3
    assert policies["emergency"].review_required and policies["emergency"].freeze_exempt
    assert policies["emergency"].review_due_business_days == 2
    assert policies["major"].cab_vote and policies["major"].quorum == 3
    assert policies["major"].lead_time_business_days == 5
