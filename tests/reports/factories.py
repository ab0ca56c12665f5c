"""A small, hand-computed data set for the reports, built through the real services.

May 2026 in Seoul (UTC+9). Korean public holiday: Tuesday 5 May (Children's Day).
Policies are the defaults: P1 15 min / 4 h, P2 30 min / 8 h, P3 2 h / 3 business days,
P4 1 business day / 10 business days. Business hours 09:00-18:00, Monday to Friday.

  A  P1 24x7   Mon 11 May 10:00  ack +10 min; waits on the reporter 11:00-12:00 (paused);
                                 recovered 13:30  -> response 600 s met,
                                 resolution 1 h + 1.5 h = 9000 s met (the hour paused is left out)
  B  P3->P1    Mon 11 May 14:00  priority overridden to P1 at +20 min; ack +25 min;
     24x7                        recovered +5 h   -> response 1500 s breached (at +15 min),
                                 resolution 18000 s breached (at +4 h)
  C  P3 business Mon 4 May 17:00 ack Wed 6 May 09:30; recovered Wed 12:00. Tuesday is a
                                 holiday -> response 1 h + 0.5 h = 5400 s met (2 h target),
                                 resolution 1 h + 3 h = 14400 s met
  D  P2 24x7   Tue 12 May 10:00  ack +45 min; never recovered; the sweeper records the
                                 resolution breach at +8 h -> response 2700 s breached,
                                 resolution running, breached
  E  P2 24x7   Tue 12 May 10:05  a duplicate of D, merged at 10:10: not counted
  F  P4 24x7   Thu 14 May 10:00  other team; ack 11:00 -> response 3600 s met (target: the
                                 same time next working day); resolution running, not due

Counted (A B C D F): 5 incidents; response met 3 / breached 2 = 60.0 %; resolution met 2
(A, C) / breached 2 (B, D) = 50.0 %; incidents with a breach 2 (B, D).
Time to acknowledge: 600, 1500, 2700, 3600, 5400 -> mean 2760 s, p90 3600 + 0.6 x 1800 = 4680 s.
Time to resolve (stopped clocks): 9000, 14400, 18000 -> mean 13800 s, p90 14400 + 0.8 x 3600
= 17280 s.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import time_machine

from incidents import services
from incidents.models import Incident
from itsm.models import AuditEvent
from itsm.timers import services as timer_services
from tests.incidents.factories import World, report

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
SYSTEM = AuditEvent.Source.SYSTEM
REPORT_NOW = dt.datetime(2026, 5, 20, 12, 0, tzinfo=SEOUL)
MAY = {"from": "2026-05", "to": "2026-05", "tz": "Asia/Seoul"}


def at(day: int, hour: int, minute: int = 0, month: int = 5) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SEOUL)


def _travel(when: dt.datetime):
    return time_machine.travel(when, tick=False)


def _step(when: dt.datetime, action, **kwargs):
    with _travel(when):
        return action(source=SYSTEM, **kwargs)


def build_may(world: World) -> dict[str, Incident]:
    oncall, leader = world.user("oncall"), world.user("ops_leader")
    made: dict[str, Incident] = {}

    with _travel(at(11, 10)):
        made["A"] = report(world, priority="P1", title="A: payments down")
    pk = made["A"].pk
    _step(at(11, 10, 10), services.incident_acknowledge, incident_id=pk, actor=oncall)
    _step(at(11, 11), services.incident_wait, incident_id=pk, actor=oncall, question="Which card?")
    _step(at(11, 12), services.incident_resume, incident_id=pk, actor=world.user("reporter"))
    _step(at(11, 13, 30), services.incident_recover, incident_id=pk, actor=oncall, summary="ok")

    with _travel(at(11, 14)):
        made["B"] = report(world, priority="P3", title="B: looked small")
    pk = made["B"].pk
    _step(
        at(11, 14, 20),
        services.incident_override_priority,
        incident_id=pk,
        actor=leader,
        priority="P1",
        reason="All card payments fail",
    )
    _step(at(11, 14, 25), services.incident_acknowledge, incident_id=pk, actor=oncall)
    _step(at(11, 19), services.incident_recover, incident_id=pk, actor=oncall, summary="ok")

    with _travel(at(4, 17)):
        made["C"] = report(world, priority="P3", service=world.office, title="C: desk slow")
    pk = made["C"].pk
    _step(at(6, 9, 30), services.incident_acknowledge, incident_id=pk, actor=oncall)
    _step(at(6, 12), services.incident_recover, incident_id=pk, actor=oncall, summary="ok")

    with _travel(at(12, 10)):
        made["D"] = report(world, priority="P2", title="D: checkout errors")
    with _travel(at(12, 10, 5)):
        made["E"] = report(world, priority="P2", title="E: checkout errors again")
    _step(
        at(12, 10, 10),
        services.incident_merge,
        incident_id=made["E"].pk,
        into_id=made["D"].pk,
        actor=oncall,
    )
    _step(at(12, 10, 45), services.incident_acknowledge, incident_id=made["D"].pk, actor=oncall)

    with _travel(at(14, 10)):
        made["F"] = report(world, priority="P4", team=world.other_team, title="F: typo")
    _step(at(14, 11), services.incident_acknowledge, incident_id=made["F"].pk, actor=oncall)

    # The beat sweeper notices the deadlines nobody else observed (D's resolution).
    with _travel(REPORT_NOW):
        timer_services.sweep()
    return {key: Incident.objects.get(pk=incident.pk) for key, incident in made.items()}
