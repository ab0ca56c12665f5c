"""One of each object the portal's URLs point at, so that every detail page and every
`/api/v1/<things>/{id}/` resolves with a real id, plus one user per role.

Made with the apps' factories and services (as production makes them), on the incidents
test world: one team ("platform-ops") whose members hold the roles. `url_values()` maps
each URL parameter, named by the path up to it (`/changes/{pk}`), to the object's id.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from backups.models import BackupRun
from changes.models import ChangeClassPolicy, ChecklistItem
from changes.services import cab_meeting_create
from incidents import services as incident_services
from incidents.models import EscalationPolicy, PriorityMatrixCell, PriorityPolicy
from integrations import services as integration_services
from integrations.events import EventType
from integrations.models import AlertGroup, Delivery
from itsm import roles
from itsm.models import AuditEvent, Membership
from itsm.timers.models import Timer
from oncall import services as oncall_services
from releases.models import Deployment
from tests.backups.factories import BackupRunFactory, RestoreTestFactory
from tests.changes.factories import ChangeFactory, FreezeFactory, TemplateFactory, WindowFactory
from tests.incidents.factories import make_world, report
from tests.integrations.factories import am_alert, am_payload
from tests.itsm.factories import UserFactory
from tests.maintenance.factories import JobFactory, RunFactory, UpdateFactory
from tests.oncall.factories import OverrideFactory, RotationFactory, ScheduleFactory
from tests.releases.factories import ReleaseFactory
from tests.releases.factories import report as pipeline_report

SYSTEM = AuditEvent.Source.SYSTEM
ANONYMOUS = "anonymous"
# Columns of the matrix: every role of itsm.roles, and nobody logged in.
ROLES = [ANONYMOUS, *roles.ROLES]


@dataclass
class OneOfEach:
    users: dict = field(default_factory=dict)  # role → user
    objects: dict = field(default_factory=dict)  # short name → object
    tokens: dict = field(default_factory=dict)  # role → API token key
    sessions: dict = field(default_factory=dict)  # role → session key of a logged-in browser
    values: dict = field(default_factory=dict)  # URL parameter → value, see url_values()

    def __getattr__(self, name):
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


def make() -> OneOfEach:
    world = make_world()
    admin = world.user("admin")
    admin.is_staff = admin.is_superuser = True  # as seed_demo makes the administrator
    admin.save(update_fields=["is_staff", "is_superuser"])
    cab = UserFactory(username="cab_member")
    cab.groups.add(Group.objects.get(name=roles.CAB_MEMBER))
    Membership.objects.create(team=world.team, user=cab)
    users = {
        roles.REQUESTER: world.user("requester"),
        roles.ONCALL: world.user("oncall"),
        roles.OPS_LEADER: world.user("ops_leader"),
        roles.OPS_MANAGER: world.user("ops_manager"),
        roles.CAB_MEMBER: cab,
        roles.DEVELOPER: world.user("developer"),
        roles.EXECUTIVE: world.user("executive"),
        roles.MANAGER: world.user("manager"),
        roles.ADMINISTRATOR: admin,
    }
    o: dict = {"team": world.team, "service": world.always}
    _changes(o, world, admin)
    _incidents(o, world, admin)
    _releases(o, world)
    _backups(o, world)
    _oncall(o, world, admin)
    _maintenance(o, world)
    _integrations(o, world, admin)
    o["audit_event"] = AuditEvent.objects.order_by("pk").first()
    o["timer"] = Timer.objects.order_by("pk").first()
    return OneOfEach(users=users, objects=o)


def _changes(o, world, admin):
    o["change"] = ChangeFactory(
        requester=world.user("requester"), owner_team=world.team, services=[world.always]
    )
    o["checklist_item"] = ChecklistItem.objects.filter(change=o["change"]).first()
    o["template"] = TemplateFactory(services=[world.always])
    o["freeze"] = FreezeFactory()
    o["window"] = WindowFactory()
    o["change_policy"] = ChangeClassPolicy.objects.order_by("pk").first()
    o["cab_meeting"] = cab_meeting_create(
        actor=admin,
        source=SYSTEM,
        title="Weekly CAB",
        starts_at=timezone.now() + dt.timedelta(days=2),
    )


def _incidents(o, world, admin):
    o["incident"] = incident = report(world, priority="P2")
    postmortem = incident_services.postmortem_start(
        incident_id=incident.pk, actor=world.user("oncall"), source=SYSTEM
    )
    o["postmortem"] = postmortem
    o["timeline_entry"] = incident_services.postmortem_add_entry(
        postmortem_id=postmortem.pk,
        actor=world.user("oncall"),
        source=SYSTEM,
        at=timezone.now(),
        text="Disk filled up.",
    )
    o["action_item"] = incident_services.action_item_add(
        postmortem_id=postmortem.pk,
        actor=admin,
        source=SYSTEM,
        title="Alert earlier",
        owner=world.user("oncall"),
        team=world.team,
        due_date=timezone.localdate() + dt.timedelta(days=14),
    )
    o["priority_cell"] = PriorityMatrixCell.objects.order_by("pk").first()
    o["priority_policy"] = PriorityPolicy.objects.order_by("pk").first()
    o["escalation_policy"] = EscalationPolicy.objects.order_by("pk").first()


def _releases(o, world):
    o["release"] = release = ReleaseFactory(team=world.team, services=[world.always])
    o["deployment"] = pipeline_report(Deployment, release, environment="test")


def _backups(o, world):
    o["backup_run"] = run = BackupRunFactory(status=BackupRun.Status.SUCCEEDED)
    o["backup_policy"] = run.policy
    o["backup_target"] = run.target
    o["storage_location"] = run.policy.storage_location
    o["restore_test"] = RestoreTestFactory(target=run.target)


def _oncall(o, world, admin):
    o["schedule"] = schedule = ScheduleFactory(team=world.team)
    o["rotation"] = RotationFactory(schedule=schedule, members=[world.user("oncall")])
    o["override"] = OverrideFactory(schedule=schedule, user=world.user("ops_leader"))
    o["personal_feed"] = oncall_services.feed_rotate(
        user=world.user("oncall"), actor=world.user("oncall"), source=SYSTEM
    )


def _maintenance(o, world):
    o["maintenance_job"] = job = JobFactory()
    o["maintenance_plan"] = job.plan
    o["maintenance_run"] = RunFactory(plan=job.plan)
    o["pending_update"] = UpdateFactory(services=[world.always])


def _integrations(o, world, admin):
    integration, token = integration_services.integration_create(
        actor=admin, source=SYSTEM, name="Alertmanager", default_service=world.always
    )
    o["integration"] = integration
    o["mapping_rule"] = integration_services.rule_add(
        integration_id=integration.pk,
        actor=admin,
        source=SYSTEM,
        matchers={"namespace": "db-.*"},
        service=world.always,
    )
    o["severity_mapping"] = integration_services.severity_set(
        integration_id=integration.pk, actor=admin, source=SYSTEM, severity="page", priority="P2"
    )
    APIClient().post(
        "/api/v1/intake/alertmanager/",
        data=json.dumps(am_payload([am_alert()])),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    o["intake_delivery"] = Delivery.objects.filter(integration=integration).first()
    o["alert_group"] = AlertGroup.objects.filter(integration=integration).first()
    o["webhook"], _secret = integration_services.webhook_create(
        actor=admin,
        source=SYSTEM,
        name="chat",
        url="https://chat.example/hook",
        event_types=[EventType.INCIDENT_CREATED],
    )
    o["webhook_delivery"] = integration_services.webhook_ping(
        subscription_id=o["webhook"].pk, actor=admin, source=SYSTEM
    )


def url_values(data: OneOfEach) -> dict[str, str]:
    """URL parameter (the path up to it) → the value that names our object there."""
    d = data
    ids = {
        "/changes/{pk}": d.change.pk,
        "/changes/{pk}/check/{item_pk}": d.checklist_item.pk,
        "/changes/{pk}/do/{verb}": "submit",
        "/changes/cab/{pk}": d.cab_meeting.pk,
        "/changes/cab/{pk}/{verb}": "close",
        "/changes/calendar/{kind}": "freeze",
        "/changes/calendar/{kind}/{pk}": d.freeze.pk,
        "/changes/policies/{pk}": d.change_policy.pk,
        "/changes/templates/{pk}": d.template.pk,
        "/changes/templates/{pk}/{verb}": "retire",
        "/incidents/{pk}": d.incident.pk,
        "/incidents/{pk}/do/{verb}": "acknowledge",
        "/incidents/{pk}/postmortem/do/{verb}": "submit",
        "/incidents/{pk}/postmortem/entries/{entry_id}": d.timeline_entry.pk,
        "/incidents/action-items/{item_id}": d.action_item.pk,
        "/incidents/action-items/{item_id}/{verb}": "complete",
        "/releases/{pk}": d.release.pk,
        "/releases/{pk}/{verb}": "start-testing",
        "/backups/drills/{pk}": d.restore_test.pk,
        "/backups/drills/{pk}/{verb}": "cancel",
        "/backups/runs/{pk}": d.backup_run.pk,
        "/backups/runs/{pk}/{verb}": "verify",
        "/backups/targets/{slug}": d.backup_target.slug,
        "/backups/targets/{slug}/policies/{pk}": d.backup_policy.pk,
        "/oncall/calendar/person/{token}": d.personal_feed.token,
        "/oncall/calendar/schedule/{token}": d.schedule.ical_token,
        "/oncall/overrides/{pk}": d.override.pk,
        "/oncall/rotations/{pk}": d.rotation.pk,
        "/oncall/schedules/{pk}": d.schedule.pk,
        "/oncall/teams/{slug}": d.team.slug,
        "/maintenance/jobs/{pk}": d.maintenance_job.pk,
        "/maintenance/plans/{pk}": d.maintenance_plan.pk,
        "/maintenance/runs/{pk}": d.maintenance_run.pk,
        "/maintenance/updates/{pk}": d.pending_update.pk,
        "/maintenance/updates/{pk}/{action}": "dismiss",
        "/integrations/{pk}": d.integration.pk,
        "/integrations/{pk}/deliveries/{delivery_id}": d.intake_delivery.pk,
        "/integrations/{pk}/rules/{rule_id}": d.mapping_rule.pk,
        "/integrations/{pk}/severities/{mapping_id}": d.severity_mapping.pk,
        "/integrations/webhooks/{pk}": d.webhook.pk,
        "/integrations/webhooks/{pk}/deliveries/{delivery_id}": d.webhook_delivery.pk,
        "/integrations/webhooks/{pk}/{verb}": "ping",
        "/reports/sla/incidents/{pk}": d.incident.pk,
        "/timers/{pk}": d.timer.pk,
        "/static/{path}": "css/portal.css",
        # the API
        "/api/v1/audit-events/{pk}": d.audit_event.pk,
        "/api/v1/backup-policies/{pk}": d.backup_policy.pk,
        "/api/v1/backup-runs/{pk}": d.backup_run.pk,
        "/api/v1/backup-targets/{slug}": d.backup_target.slug,
        "/api/v1/cab-meetings/{pk}": d.cab_meeting.pk,
        "/api/v1/change-policies/{pk}": d.change_policy.pk,
        "/api/v1/change-templates/{pk}": d.template.pk,
        "/api/v1/changes/{pk}": d.change.pk,
        "/api/v1/deployments/{pk}": d.deployment.pk,
        "/api/v1/freeze-periods/{pk}": d.freeze.pk,
        "/api/v1/incident-action-items/{pk}": d.action_item.pk,
        "/api/v1/incident-escalation-policies/{pk}": d.escalation_policy.pk,
        "/api/v1/incident-priority-matrix/{pk}": d.priority_cell.pk,
        "/api/v1/incident-priority-policies/{pk}": d.priority_policy.pk,
        "/api/v1/incidents/{pk}": d.incident.pk,
        "/api/v1/intake-deliveries/{pk}": d.intake_delivery.pk,
        "/api/v1/intake-groups/{pk}": d.alert_group.pk,
        "/api/v1/integrations/{pk}": d.integration.pk,
        "/api/v1/integrations/{pk}/rules/{rule_id}": d.mapping_rule.pk,
        "/api/v1/maintenance-jobs/{pk}": d.maintenance_job.pk,
        "/api/v1/maintenance-plans/{pk}": d.maintenance_plan.pk,
        "/api/v1/maintenance-runs/{pk}": d.maintenance_run.pk,
        "/api/v1/maintenance-windows/{pk}": d.window.pk,
        "/api/v1/oncall/overrides/{pk}": d.override.pk,
        "/api/v1/oncall/rotations/{pk}": d.rotation.pk,
        "/api/v1/oncall/schedules/{pk}": d.schedule.pk,
        "/api/v1/oncall/{team}": d.team.slug,
        "/api/v1/pending-updates/{pk}": d.pending_update.pk,
        "/api/v1/postmortems/{pk}": d.postmortem.pk,
        "/api/v1/releases/{pk}": d.release.pk,
        "/api/v1/reports/sla/incidents/{pk}": d.incident.pk,
        "/api/v1/restore-tests/{pk}": d.restore_test.pk,
        "/api/v1/services/{slug}": d.service.slug,
        "/api/v1/storage-locations/{pk}": d.storage_location.pk,
        "/api/v1/teams/{slug}": d.team.slug,
        "/api/v1/webhook-deliveries/{pk}": d.webhook_delivery.pk,
        "/api/v1/webhooks/{pk}": d.webhook.pk,
    }
    return {key: str(value) for key, value in ids.items()}
