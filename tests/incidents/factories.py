"""Test data for incidents. Incidents are made through the services, as in production, so
clocks, escalation and notifications exist exactly as they would."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.utils import timezone

from incidents import services
from incidents.models import Incident, Postmortem, Status
from itsm import roles
from itsm.models import AuditEvent, BusinessCalendar, Membership
from tests.itsm.factories import ServiceFactory, TeamFactory, UserFactory

SYSTEM = AuditEvent.Source.SYSTEM

# (scope, business impact, urgency) that the default matrix turns into each priority.
TRIAGE_FOR = {
    "P1": ("all_users", "revenue_loss", "immediate"),
    "P2": ("all_users", "revenue_loss", "planned"),
    "P3": ("some_users", "loss_of_trust", "planned"),
    "P4": ("one_function", "minor", "planned"),
}


@dataclass
class World:
    calendar: BusinessCalendar
    team: object
    other_team: object
    always: object  # a 24×7 service
    office: object  # a business-hours service
    users: dict = field(default_factory=dict)

    def user(self, name: str):
        return self.users[name]


def make_world() -> World:
    calendar = BusinessCalendar.objects.get(country="KR")
    team = TeamFactory(name="Platform Ops", slug="platform-ops", calendar=calendar)
    other = TeamFactory(name="Service Desk", slug="service-desk", calendar=calendar)
    always = ServiceFactory(name="Payments API", slug="payments-api", owner_team=team, hours="24x7")
    office = ServiceFactory(name="Help desk", slug="help-desk", owner_team=team, hours="business")
    world = World(calendar=calendar, team=team, other_team=other, always=always, office=office)
    members = {
        "oncall": roles.ONCALL,
        "ops_leader": roles.OPS_LEADER,
        "ops_manager": roles.OPS_MANAGER,
        "developer": roles.DEVELOPER,
        "manager": roles.MANAGER,
        "executive": roles.EXECUTIVE,
        "reporter": roles.REQUESTER,
        "requester": roles.REQUESTER,
        "admin": roles.ADMINISTRATOR,
    }
    for name, role in members.items():
        user = UserFactory(username=name)
        user.groups.add(Group.objects.get(name=role))
        if name not in {"reporter", "requester", "executive"}:
            Membership.objects.create(team=team, user=user, is_lead=name == "ops_leader")
        world.users[name] = user
    return world


def report(
    world: World,
    *,
    priority: str = "P4",
    service=None,
    actor=None,
    detected_at: dt.datetime | None = None,
    **kwargs,
) -> Incident:
    scope, business, urgency = TRIAGE_FOR[priority]
    return services.incident_report(
        actor=actor or world.user("reporter"),
        source=SYSTEM,
        title=kwargs.pop("title", f"{priority} trouble"),
        service=service or world.always,
        scope=scope,
        business_impact=business,
        urgency=urgency,
        detected_at=detected_at,
        **kwargs,
    )


def publish_postmortem(world: World, incident: Incident) -> Postmortem:
    oncall, manager = world.user("oncall"), world.user("ops_manager")
    postmortem = services.postmortem_start(incident_id=incident.pk, actor=oncall, source=SYSTEM)
    services.postmortem_update(
        postmortem_id=postmortem.pk,
        actor=oncall,
        source=SYSTEM,
        summary="Down for a while.",
        five_whys=["The disk was full."],
        resolution="Freed space.",
        prevention="Alert earlier.",
    )
    services.postmortem_submit(postmortem_id=postmortem.pk, actor=oncall, source=SYSTEM)
    return services.postmortem_publish(postmortem_id=postmortem.pk, actor=manager, source=SYSTEM)


# How to reach each state from a fresh report, as the on-call engineer and the leader.
def drive(world: World, incident: Incident, state: str) -> Incident:
    oncall, leader = world.user("oncall"), world.user("ops_leader")
    pk = incident.pk
    steps = {
        Status.DETECTED: [],
        Status.TRIAGED: ["triage"],
        Status.ACKNOWLEDGED: ["ack"],
        Status.INVESTIGATING: ["ack", "investigate"],
        Status.WAITING: ["ack", "wait"],
        Status.RECOVERED: ["ack", "recover"],
        Status.VERIFIED: ["ack", "recover", "verify"],
        Status.CLOSED: ["ack", "recover", "verify", "close"],
        Status.MERGED: ["merge"],
    }[state]
    for step in steps:
        if step == "triage":
            scope, business, urgency = (incident.scope, incident.business_impact, incident.urgency)
            services.incident_triage(
                incident_id=pk, actor=oncall, source=SYSTEM, scope=scope,
                business_impact=business, urgency=urgency,
            )  # fmt: skip
        elif step == "ack":
            services.incident_acknowledge(incident_id=pk, actor=oncall, source=SYSTEM)
        elif step == "investigate":
            services.incident_investigate(incident_id=pk, actor=oncall, source=SYSTEM)
        elif step == "wait":
            services.incident_wait(
                incident_id=pk, actor=oncall, source=SYSTEM, question="Which page?"
            )
        elif step == "recover":
            services.incident_recover(
                incident_id=pk, actor=oncall, source=SYSTEM, summary="Restarted."
            )
        elif step == "verify":
            services.incident_verify(incident_id=pk, actor=oncall, source=SYSTEM)
        elif step == "close":
            incident.refresh_from_db()
            if incident.postmortem_required:
                publish_postmortem(world, incident)
            services.incident_close(incident_id=pk, actor=leader, source=SYSTEM)
        elif step == "merge":
            original = report(world, priority=incident.priority, title="the original")
            services.incident_merge(
                incident_id=pk, into_id=original.pk, actor=oncall, source=SYSTEM
            )
    return Incident.objects.get(pk=pk)


def now() -> dt.datetime:
    return timezone.now()
