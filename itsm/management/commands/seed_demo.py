"""Demo data: one user per role, two teams, a handful of services. Safe to run twice."""

import secrets

from django.contrib.auth.models import Group
from django.core.management import BaseCommand, call_command

from itsm import roles
from itsm.models import BusinessCalendar, Membership, Service, Team, User

TEAMS = [
    ("Platform Ops", "platform-ops", "Korea (Seoul)"),
    ("Service Desk Tokyo", "service-desk-tokyo", "Japan (Tokyo)"),
]
USERS = [
    # username, role, team slug, lead, time zone, language
    ("requester", roles.REQUESTER, "platform-ops", False, "Asia/Seoul", "ko"),
    ("oncall", roles.ONCALL, "platform-ops", False, "Asia/Seoul", "ko"),
    ("leader", roles.OPS_LEADER, "platform-ops", True, "Asia/Seoul", "ko"),
    ("opsmanager", roles.OPS_MANAGER, "platform-ops", False, "Asia/Seoul", "ko"),
    ("cab", roles.CAB_MEMBER, "service-desk-tokyo", False, "Asia/Tokyo", "ja"),
    ("developer", roles.DEVELOPER, "service-desk-tokyo", False, "Asia/Tokyo", "ja"),
    ("executive", roles.EXECUTIVE, None, False, "Asia/Seoul", "en"),
    ("manager", roles.MANAGER, "service-desk-tokyo", True, "Asia/Tokyo", "ja"),
    ("admin", roles.ADMINISTRATOR, "platform-ops", False, "UTC", "en"),
]
SERVICES = [
    # name, slug, team, criticality, hours, depends on
    ("Customer database", "customer-db", "platform-ops", 1, "24x7", []),
    ("Payments API", "payments-api", "platform-ops", 1, "24x7", ["customer-db"]),
    ("Web shop", "web-shop", "platform-ops", 2, "24x7", ["payments-api", "customer-db"]),
    ("File storage", "file-storage", "platform-ops", 2, "24x7", []),
    ("Internal wiki", "wiki", "service-desk-tokyo", 4, "business", ["file-storage"]),
    ("Help desk", "help-desk", "service-desk-tokyo", 3, "business", ["customer-db"]),
]


class Command(BaseCommand):
    help = "Load demo users (one per role), teams and services; prints each password."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", help="Use this password for every new demo user instead of random ones"
        )

    def handle(self, *args, password=None, **options):
        call_command("migrate", verbosity=0)  # roles and default policies come with migrations
        teams = {}
        for name, slug, calendar in TEAMS:
            teams[slug], _ = Team.objects.get_or_create(
                slug=slug,
                defaults={"name": name, "calendar": BusinessCalendar.objects.get(name=calendar)},
            )
        for name, slug, team, criticality, hours, _deps in SERVICES:
            Service.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "owner_team": teams[team],
                    "criticality": criticality,
                    "hours": hours,
                },
            )
        for _name, slug, _team, _crit, _hours, deps in SERVICES:
            Service.objects.get(slug=slug).depends_on.add(*Service.objects.filter(slug__in=deps))

        lines = []
        for username, role, team, lead, tz, language in USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                secret = password or secrets.token_urlsafe(9)
                user = User.objects.create_user(
                    username=username,
                    password=secret,
                    email=f"{username}@example.com",
                    first_name=username.capitalize(),
                    time_zone=tz,
                    language=language,
                    is_staff=role == roles.ADMINISTRATOR,
                    is_superuser=role == roles.ADMINISTRATOR,
                )
                shown = secret
            else:
                shown = "(unchanged)"
            user.groups.add(Group.objects.get(name=role))
            if team:
                Membership.objects.get_or_create(
                    team=teams[team], user=user, defaults={"is_lead": lead}
                )
            lines.append(f"  {username:<12} {shown:<16} {roles.role_label(role)}")

        from django.apps import apps

        for config in apps.get_app_configs():  # each workflow app may add its own demo data
            seed = getattr(config, "seed_demo", None)
            if callable(seed):
                seed()
        self.stdout.write("Demo users (username, password, role):")
        self.stdout.write("\n".join(lines))
