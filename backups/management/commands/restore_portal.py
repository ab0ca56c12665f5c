"""Restore a portal backup. See backups/README.md ("Restoring the portal") before using it."""

from pathlib import Path

from django.core.management import BaseCommand, CommandError
from django.db import connection

from backups.models import BackupRun
from backups.portal.backup import portal_restore
from backups.portal.storage import BackupError


class Command(BaseCommand):
    help = (
        "Restore a backup of the portal's database from a run id or a file. The file's "
        "SHA-256 must match its manifest (or the run), else nothing is restored. Without "
        "--into it replaces the portal's own database and needs --yes: stop web, worker and "
        "beat first. SQLite: --into is a file path; PostgreSQL: an existing database name."
    )

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--run", type=int, help="A backup run of the portal target")
        source.add_argument("--file", help="A backup file (its .manifest.json next to it)")
        parser.add_argument("--into", help="Restore here instead of the portal's database")
        parser.add_argument(
            "--yes", action="store_true", help="Confirm replacing the portal's own database"
        )

    def handle(self, *args, run=None, file=None, into=None, yes=False, **options):
        checksum = ""
        if run is not None:
            found = BackupRun.objects.filter(pk=run, target__is_portal=True).first()
            if found is None or not found.location:
                raise CommandError(f"no portal backup run {run} with a file")
            if found.status == BackupRun.Status.PURGED:
                raise CommandError(f"backup run {run} was purged by retention")
            file, checksum = found.location, found.checksum
        if into is None and not yes:
            raise CommandError(
                "this replaces the portal's own database "
                f"({connection.settings_dict['NAME']}); stop web, worker and beat, then "
                "run again with --yes (or restore elsewhere with --into)"
            )
        connection.close()  # SQLite: no open handle on the file being replaced
        try:
            manifest = portal_restore(
                artefact=Path(file), destination=into, expected_checksum=checksum
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"restored {manifest.get('tables')} tables, {manifest.get('rows')} rows "
            f"(recovery point {manifest.get('recovery_point')}) into "
            f"{into or connection.settings_dict['NAME']}"
        )
