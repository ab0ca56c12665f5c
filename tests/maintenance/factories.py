from datetime import timedelta

import factory

from maintenance.models import (
    JobKind,
    MaintenanceJob,
    MaintenancePlan,
    MaintenanceRun,
    PendingUpdate,
    RunTrigger,
)


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaintenancePlan

    name = factory.Sequence(lambda n: f"Plan {n}")
    schedule = "0 3 * * *"
    time_zone = "Asia/Seoul"
    max_duration = timedelta(hours=2)


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaintenanceJob

    plan = factory.SubFactory(PlanFactory)
    name = factory.Sequence(lambda n: f"Job {n}")
    kind = JobKind.PURGE_SESSIONS
    position = factory.Sequence(lambda n: n * 10)


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaintenanceRun

    plan = factory.SubFactory(PlanFactory)
    trigger = RunTrigger.MANUAL
    scheduled_for = factory.Faker("date_time_this_year", tzinfo=__import__("datetime").UTC)


class UpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PendingUpdate
        skip_postgeneration_save = True

    component = factory.Sequence(lambda n: f"component-{n}")
    version = "1.0.1"
    kind = PendingUpdate.Kind.BUGFIX
    severity = PendingUpdate.Severity.MEDIUM

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)
