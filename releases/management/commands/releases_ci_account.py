"""Create (or reuse) an account for a CI/CD system and print its API token."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import BaseCommand, CommandError
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = (
        "Create an account that CI/CD uses to report builds, test results and deployments, "
        "and print its token. Use --rotate to replace an existing token."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="e.g. ci-github")
        parser.add_argument("--rotate", action="store_true", help="Issue a new token")

    def handle(self, *args, username: str, rotate: bool = False, **options):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": "CI/CD", "is_active": True}
        )
        if created:
            user.set_unusable_password()  # API token only, never a browser login
            user.save()
        perms = Permission.objects.filter(
            content_type__app_label="releases", codename__in=["report_pipeline", "view_release"]
        )
        if perms.count() != 2:
            raise CommandError(
                "Run `manage.py migrate` first: the releases permissions are missing."
            )
        user.user_permissions.add(*perms)
        if rotate:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(f"{'Created' if created else 'Updated'} {username}; token:")
        self.stdout.write(token.key)
