"""``manage.py setup_demo``: built-in instruments, the demo study and the demo accounts."""

from django.conf import settings
from django.core.management.base import BaseCommand

from ratings.services.demo import DEMO_STUDY, demo_setup


class Command(BaseCommand):
    help = "Load the built-in instruments and the demo study, and create a demo admin and rater."

    def handle(self, *args, **options):
        production = settings.ANCHOR_PRODUCTION
        accounts = demo_setup(accounts=not production)
        self.stdout.write(f"demo study {DEMO_STUDY} is ready")
        if production:
            self.stdout.write("  no demo accounts: ANCHOR_PRODUCTION is set (create users with createsuperuser)")
        for account in accounts:
            password = account.password or "(existing account, password unchanged)"
            self.stdout.write(f"  demo account: {account.username} / {password}")
