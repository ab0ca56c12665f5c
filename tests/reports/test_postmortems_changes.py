"""Postmortem and change reports against small hand-computed data sets (May 2026, Seoul)."""

import datetime as dt

import pytest
import time_machine

from changes.models import CabMeeting, Change
from incidents import services
from incidents.models import Incident
from reports import facts
from reports.params import ReportFilterForm
from reports.selectors.changes import change_report
from reports.selectors.postmortems import postmortem_report
from tests.changes.factories import ChangeFactory

from .factories import MAY, REPORT_NOW, SYSTEM, at


def params(**extra):
    form = ReportFilterForm({**MAY, **extra})
    assert form.is_valid(), form.errors
    return form.params()


# --- postmortems ---------------------------------------------------------------------------
#   A (P1): published; five whys end in "Disk full"; three action items:
#       "Alert at 80 %"  oncall     platform-ops  due 15 May  open   -> overdue on 20 May
#       "Bigger disk"    developer  platform-ops  due 1 June  open
#       "Runbook"        oncall     service-desk  due 14 May  done
#   B (P1): draft, root cause "  DISK FULL " -> the same cause as A; recovered 11 May 19:00,
#       so 3 days overdue on 20 May (due 5 days after recovery)
#   D (P2): required, not recovered, no postmortem -> "required, not started", not overdue
def build_postmortems(world, may):
    oncall, manager = world.user("oncall"), world.user("ops_manager")
    text = {"summary": "Down.", "resolution": "Freed space.", "prevention": "Alert earlier."}
    with time_machine.travel(at(12, 10), tick=False):
        a = may["A"].postmortem
        services.postmortem_update(
            postmortem_id=a.pk, actor=oncall, source=SYSTEM,
            five_whys=["Payments timed out", "Disk full"], **text,
        )  # fmt: skip
        items = [
            ("Alert at 80 %", oncall, world.team, dt.date(2026, 5, 15)),
            ("Bigger disk", world.user("developer"), world.team, dt.date(2026, 6, 1)),
            ("Runbook", oncall, world.other_team, dt.date(2026, 5, 14)),
        ]
        made = [
            services.action_item_add(
                postmortem_id=a.pk,
                actor=oncall,
                source=SYSTEM,
                title=title,
                owner=owner,
                team=team,
                due_date=due,
            )  # fmt: skip
            for title, owner, team, due in items
        ]
        services.action_item_complete(item_id=made[2].pk, actor=oncall, source=SYSTEM)
        services.postmortem_submit(postmortem_id=a.pk, actor=oncall, source=SYSTEM)
        services.postmortem_publish(postmortem_id=a.pk, actor=manager, source=SYSTEM)
        services.postmortem_update(
            postmortem_id=may["B"].postmortem.pk, actor=oncall, source=SYSTEM,
            root_cause="  DISK FULL ", **text,
        )  # fmt: skip
    facts.rebuild()  # what the commits of these services refresh


@pytest.fixture
def pm_report(world, may):
    build_postmortems(world, may)
    with time_machine.travel(REPORT_NOW, tick=False):
        return postmortem_report(params())


def test_postmortems_by_month_and_status(pm_report):
    may_row = pm_report.tables["by_month"].rows[0]
    assert {k: may_row[k] for k in ("total", "draft", "in_review", "published", "missing")} == {
        "total": 2, "draft": 1, "in_review": 0, "published": 1, "missing": 1,
    }  # fmt: skip
    assert may_row["published_pct"] == 33.3


def test_overdue_postmortems(pm_report, may):
    rows = pm_report.tables["overdue_postmortems"].rows
    assert [(r["incident_id"], r["days_overdue"]) for r in rows] == [(may["B"].pk, 3)]
    assert rows[0]["_links"]["reference"] == f"/incidents/{may['B'].pk}/postmortem/"
    assert pm_report.totals["overdue_postmortems"] == 1


def test_action_items_by_owner_and_team(pm_report):
    owners = {r["key"]: [r[k] for k in ("open", "overdue", "done", "total")]
              for r in pm_report.tables["items_by_owner"].rows}  # fmt: skip
    assert owners == {"oncall": [1, 1, 1, 2], "developer": [1, 0, 0, 1]}
    assert pm_report.tables["items_by_owner"].rows[0]["key"] == "oncall"  # most overdue first
    teams = {r["key"]: [r[k] for k in ("open", "overdue", "done", "total")]
             for r in pm_report.tables["items_by_team"].rows}  # fmt: skip
    assert teams == {"platform-ops": [2, 1, 0, 2], "service-desk": [0, 0, 1, 1]}
    links = pm_report.tables["items_by_owner"].rows[0]["_links"]
    assert links["overdue"] == "/incidents/action-items/?owner=oncall&status=open&overdue=true"
    assert (pm_report.totals["open_items"], pm_report.totals["overdue_items"]) == (2, 1)


def test_recurring_root_causes(pm_report, may):
    (row,) = pm_report.tables["recurring_causes"].rows
    assert (row["cause"], row["incidents"], row["services"]) == ("disk full", 2, 1)
    assert row["examples"] == f"{may['B'].reference}, {may['A'].reference}"


def test_team_filter_narrows_postmortems(world, may):
    build_postmortems(world, may)
    with time_machine.travel(REPORT_NOW, tick=False):
        report = postmortem_report(params(team="service-desk"))
    assert report.tables["by_month"].rows[0]["total"] == 0
    assert [r["key"] for r in report.tables["items_by_team"].rows] == ["service-desk"]


# --- changes ---------------------------------------------------------------------------------
#   c1 normal     planned  7 May  closed, verified        submitted 1 May 09:00, decided +24 h
#   c2 emergency  planned 12 May  rolled back             submitted 12 May 01:00, decided +30 min
#                                 caused incident D
#   c3 normal     planned 20 May  rejected                submitted 10 May 09:00, decided +24 h
#   c4 standard   planned 25 May  cancelled               never decided
#   c6 normal     planned 15 May  in review, verified     submitted 5 May 09:00, decided +3 h
#   c5 major      planned 3 June  approved (CAB)          submitted 20 May, decided 28 May
#   CAB meeting held 27 May with c5 on its agenda.
# May (planned): 5 changes, 1 emergency (20.0 %), successful c1 c6, failed c2 -> 66.7 %,
# rolled back 1, rejected 1, cancelled 1, 1 caused an incident.
# Approval times 86400, 1800, 86400, 10800 -> mean 46350 s, p90 86400 s.
def build_changes(world, may):
    def make(**kwargs):
        return ChangeFactory(owner_team=world.team, services=[world.always], **kwargs)

    made = {
        "c1": make(change_class="normal", status="closed", planned_start=at(7, 10),
                   submitted_at=at(1, 9), decided_at=at(2, 9), completed_at=at(7, 12)),
        "c2": make(change_class="emergency", status="rolled_back", planned_start=at(12, 3),
                   submitted_at=at(12, 1), decided_at=at(12, 1, 30),
                   failure_reason="5xx rose", rollback_notes="Reverted"),
        "c3": make(change_class="normal", status="rejected", planned_start=at(20, 10),
                   submitted_at=at(10, 9), decided_at=at(11, 9)),
        "c4": make(change_class="standard", status="cancelled", planned_start=at(25, 10)),
        "c5": make(change_class="major", status="approved", planned_start=at(3, 10, month=6),
                   submitted_at=at(20, 9), decided_at=at(28, 9)),
        "c6": make(change_class="normal", status="review", planned_start=at(15, 10),
                   submitted_at=at(5, 9), decided_at=at(5, 12), completed_at=at(15, 12)),
    }  # fmt: skip
    Incident.objects.filter(pk=may["D"].pk).update(caused_by_change_id=made["c2"].pk)
    meeting = CabMeeting.objects.create(
        title="May CAB", starts_at=at(27, 15), status=CabMeeting.Status.HELD
    )
    meeting.agenda.add(made["c5"])
    return made


@pytest.fixture
def chg(world, may):
    made = build_changes(world, may)
    with time_machine.travel(REPORT_NOW, tick=False):
        return change_report(params()), made


def test_change_totals(chg):
    report, _made = chg
    t = report.totals
    assert [t[k] for k in ("total", "emergency", "successful", "failed", "rolled_back")] == [
        5, 1, 2, 1, 1,
    ]  # fmt: skip
    assert (t["rejected"], t["cancelled"], t["caused_incidents"]) == (1, 1, 1)
    assert (t["success_rate"], t["emergency_share"]) == (66.7, 20.0)
    assert t["approval_mean_s"] == pytest.approx(46350)
    assert t["approval_p90_s"] == pytest.approx(86400)


def test_changes_by_class(chg):
    report, _made = chg
    rows = {row["key"]: row for row in report.tables["by_class"].rows}
    assert [rows[k]["total"] for k in ("standard", "normal", "emergency", "major")] == [1, 3, 1, 0]
    assert rows["normal"]["successful"] == 2 and rows["normal"]["rejected"] == 1
    assert rows["normal"]["approval_mean_s"] == pytest.approx(61200)
    assert rows["emergency"]["rolled_back"] == 1 and rows["emergency"]["success_rate"] == 0.0
    assert rows["major"]["success_rate"] is None
    assert "change_class=emergency" in rows["emergency"]["_links"]["total"]


def test_changes_that_caused_incidents(chg):
    report, made = chg
    (row,) = report.tables["caused_incidents"].rows
    assert (row["change_id"], row["incidents"]) == (made["c2"].pk, 1)
    assert row["_links"]["incidents"] == f"/incidents/?caused_by_change={made['c2'].pk}"


def test_cab_throughput(chg):
    report, _made = chg
    may_row = report.tables["cab"].rows[0]
    assert [may_row[k] for k in ("meetings", "agenda", "decided", "approved", "rejected")] == [
        1, 1, 1, 1, 0,
    ]  # fmt: skip
    assert may_row["decision_mean_s"] == pytest.approx(8 * 86400)


def test_change_drilldown_matches_the_change_list(client, user_for, world, may):
    from django.urls import reverse

    from itsm import roles

    build_changes(world, may)
    client.force_login(user_for(roles.MANAGER))
    with time_machine.travel(REPORT_NOW, tick=False):
        report = change_report(params())
    listing = client.get(report.totals["_links"]["total"])
    assert listing.status_code == 200
    shown = {change.pk for change in listing.context["page"].object_list}
    planned = set(
        Change.objects.filter(
            planned_start__gte=at(1, 0), planned_start__lt=at(1, 0, month=6)
        ).values_list("pk", flat=True)
    )
    assert shown == planned and len(shown) == 5
    assert report.totals["_links"]["total"].startswith(reverse("changes:list"))


def test_service_filter_on_changes(world, may):
    build_changes(world, may)
    with time_machine.travel(REPORT_NOW, tick=False):
        assert change_report(params(service="help-desk")).totals["total"] == 0
        assert change_report(params(service="payments-api")).totals["total"] == 5
