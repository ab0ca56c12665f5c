"""Create (or show) the API token a backup job uses to report its runs."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import BaseCommand
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = (
        "Create a service account that may only report backup runs and print its API token. "
        "Give the token to the backup job: POST /api/v1/backup-runs/report/."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="e.g. backup-agent-db01")

    def handle(self, *args, username: str, **options):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": "Backup agent"}
        )
        if created:
            user.set_unusable_password()
            user.save()
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="backups", codename="report_backuprun")
        )
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(f"{'created' if created else 'existing'} account {username}")
        self.stdout.write(f"token: {token.key}")
