"""Verify a portal backup: checksum, test restore into a scratch database, row counts."""

from django.core.management import BaseCommand, CommandError

from backups.models import BackupRun
from backups.portal.backup import portal_verify


class Command(BaseCommand):
    help = "Verify a succeeded portal backup run by restoring it into a scratch database."

    def add_arguments(self, parser):
        parser.add_argument("run_id", type=int)

    def handle(self, *args, run_id: int, **options):
        if not BackupRun.objects.filter(pk=run_id, target__is_portal=True).exists():
            raise CommandError(f"no portal backup run {run_id}")
        run = portal_verify(run_id=run_id, actor=None, source="system")
        self.stdout.write(
            f"run {run.pk}: {run.status}\n{run.verification_note or run.failure_reason}"
        )
        if run.status != BackupRun.Status.VERIFIED:
            raise CommandError(f"backup run {run.pk} did not verify")
