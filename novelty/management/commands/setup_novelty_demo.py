"""``manage.py setup_novelty_demo``: the fictional novelty study (after ``setup_demo``)."""

from django.core.management.base import BaseCommand

from novelty.services import DEMO_STUDY, novelty_demo_setup


class Command(BaseCommand):
    help = ("Load the novelty demo study (fictional submissions and literature corpus) and assign its "
            "submissions to the demo rater for review.")

    def add_arguments(self, parser):
        parser.add_argument("--reviewer", default="rater", help="username to assign the submissions to")

    def handle(self, *args, reviewer, **options):
        study = novelty_demo_setup(reviewer_username=reviewer)
        self.stdout.write(f"demo study {DEMO_STUDY} is ready: {study.targets.count()} submissions, "
                          f"{study.literature.count()} papers in its corpus")
