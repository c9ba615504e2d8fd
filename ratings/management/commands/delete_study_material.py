"""``manage.py delete_study_material STUDY --yes``: delete a study's texts and metadata on request."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from audit.actor import Actor
from ratings.models import Study
from ratings.services.material_deletion import study_material_delete


class Command(BaseCommand):
    help = ("Delete the texts and metadata of a study's targets (ratings, criteria and the report remain). "
            "Cannot be undone.")

    def add_arguments(self, parser):
        parser.add_argument("study", help="the study's slug")
        parser.add_argument("--yes", action="store_true", help="confirm: the material cannot be restored")

    def handle(self, *args, study, yes, **options):
        study_obj = Study.objects.filter(slug=study).first()
        if study_obj is None:
            raise CommandError(f"no study {study!r}")
        if not yes:
            raise CommandError("this deletes the study's material for good; add --yes to confirm")
        n = study_material_delete(study=study_obj, actor=Actor.command())
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM")  # rewrite the file, so no old page keeps the text
        self.stdout.write(f"{study_obj.slug}: text and metadata of {n} target(s) deleted; ratings kept")
