"""``manage.py grant_role USERNAME study-managers|api-clients``."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ratings.services.roles import ROLE_PERMISSIONS, user_grant_role


class Command(BaseCommand):
    help = "Give a user the study manager or API client role (a group holding ratings.add_study)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=sorted(ROLE_PERMISSIONS))

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        user_grant_role(user=user, role=options["role"])
        self.stdout.write(f"{user.username} is in {options['role']}")
