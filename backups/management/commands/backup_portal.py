"""Back up the portal's own database now, as a run of the "portal" target, and verify it."""

from django.core.management import BaseCommand, CommandError

from backups.models import BackupRun
from backups.portal.backup import portal_backup


class Command(BaseCommand):
    help = (
        "Back up the portal's database (pg_dump / SQLite online backup) into BACKUPS_DIR with "
        "a checksum and a manifest, record it as a backup run, and verify it by a test "
        "restore into a scratch database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-verify", action="store_true", help="Skip the test restore (verify later)"
        )

    def handle(self, *args, no_verify=False, **options):
        run = portal_backup(actor=None, source="system", verify=not no_verify)
        self.stdout.write(f"run {run.pk}: {run.status}")
        if run.location:
            self.stdout.write(f"file: {run.location}\nsha256: {run.checksum}")
        if run.failure_reason:
            self.stdout.write(run.failure_reason)
        if run.status in (BackupRun.Status.FAILED, BackupRun.Status.VERIFICATION_FAILED):
            raise CommandError(f"backup run {run.pk} {run.status}")
