"""``manage.py set_rating_design STUDY crossed|one-way|none``: declare (or clear) a study's design."""

from django.core.management.base import BaseCommand, CommandError

from audit.actor import Actor
from ratings.models import Study
from ratings.services import StudyDesignError, study_set_rating_design

CLEAR = "none"


class Command(BaseCommand):
    help = ("Declare how raters are laid over a study's targets: crossed (the same raters rate the "
            "targets; gaps allowed), one-way (each target is rated by its own interchangeable raters), "
            "or none (undeclared: the report infers the design from the ratings and says so).")

    def add_arguments(self, parser):
        parser.add_argument("study", help="slug of an existing study")
        parser.add_argument("design", choices=[*Study.RatingDesign.values, CLEAR])

    def handle(self, *args, study, design, **options):
        study_obj = Study.objects.filter(slug=study).first()
        if study_obj is None:
            raise CommandError(f"no study {study!r}")
        new = "" if design == CLEAR else design
        try:
            previous = study_set_rating_design(study=study_obj, design=new, actor=Actor.command())
        except StudyDesignError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{study_obj.slug}: rating design {previous or 'undeclared'} -> {new or 'undeclared'}")
