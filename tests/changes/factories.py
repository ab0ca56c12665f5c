"""Factories for the changes app. `change_in_state` builds a change that is ready for every
transition out of that state (plans, window, checklists, implementer as the state needs)."""

from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from changes.checklists import default_items
from changes.models import (
    Change,
    ChecklistItem,
    FreezePeriod,
    MaintenanceWindow,
    StandardTemplate,
    Status,
    WorkLogEntry,
)
from itsm import roles
from tests.itsm.factories import ServiceFactory, TeamFactory, UserFactory


def role_user(role: str, **kwargs):
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=role))
    return user


class ChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Change
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Change {n}")
    description = "Why and what"
    change_class = "normal"
    requester = factory.LazyFunction(lambda: role_user(roles.REQUESTER))
    owner_team = factory.SubFactory(TeamFactory)
    execution_plan = "1. do it"
    rollback_plan = "1. undo it"
    backup_plan = "snapshot first"
    rollback_tested = True
    tested_beforehand = True
    planned_start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=21))
    planned_end = factory.LazyAttribute(lambda o: o.planned_start + timedelta(hours=2))

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if not create:
            return
        services = (
            extracted
            if extracted is not None
            else [ServiceFactory(owner_team=self.owner_team, criticality=3)]
        )
        self.services.set(services)
        self.impacted_services.set(services)

    @factory.post_generation
    def checklists(self, create, extracted, **kwargs):
        if create and extracted is not False:
            ChecklistItem.objects.bulk_create(default_items(self))


AFTER_SUBMIT = [s for s in Status.values if s not in {"draft"}]
WINDOW_NOW = {
    "approved", "scheduled", "implementing", "verifying", "completed", "failed",
    "rolled_back", "review", "closed",
}  # fmt: skip


def change_in_state(state: str, **kwargs) -> Change:
    """A change in `state` with the facts that state implies."""
    now = timezone.now()
    if state in WINDOW_NOW:
        kwargs.setdefault("planned_start", now - timedelta(minutes=30))
        kwargs.setdefault("planned_end", now + timedelta(hours=3))
    if state != "draft":
        kwargs.setdefault("submitted_at", now - timedelta(days=10))
    if state in WINDOW_NOW or state == "cancelled":
        kwargs.setdefault("implementer", role_user(roles.REQUESTER))
    if state in {"implementing", "verifying", "completed", "failed", "rolled_back", "review"}:
        kwargs.setdefault("backup_confirmed_at", now - timedelta(minutes=40))
        kwargs.setdefault("started_at", now - timedelta(minutes=20))
    if state == "rolled_back":
        kwargs.setdefault("review_due_at", now + timedelta(days=2))
    if state == "review":
        kwargs.setdefault("review_due_at", now + timedelta(days=2))
        kwargs.setdefault("cause_analysis", "why it failed")
    change = ChangeFactory(status=state, **kwargs)
    if state in {"scheduled", "implementing"} or state in WINDOW_NOW:
        ChecklistItem.objects.filter(change=change, kind="precheck").update(result="passed")
    if state == "scheduled":
        Change.objects.filter(pk=change.pk).update(backup_confirmed_at=now - timedelta(minutes=40))
    if state in {"implementing", "verifying"}:
        WorkLogEntry.objects.create(change=change, author=change.implementer, text="did it")
    if state in {"verifying", "completed", "review", "closed"}:
        ChecklistItem.objects.filter(change=change, kind="verification").update(result="passed")
    change.refresh_from_db()
    return change


class TemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StandardTemplate
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Routine patch {n}")
    description = "Monthly OS patch"
    execution_plan = "apt upgrade"
    rollback_plan = "restore snapshot"
    backup_plan = "snapshot"
    proposed_by = factory.LazyFunction(lambda: role_user(roles.REQUESTER))
    status = "approved"

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)


class FreezeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FreezePeriod

    name = "Year-end freeze"
    start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=20))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(days=5))


class WindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaintenanceWindow

    name = "Sunday maintenance"
    start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(hours=4))
