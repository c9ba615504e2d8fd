"""``manage.py import_ratings STUDY FILE``: import human ratings in long format, atomically."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.actor import Actor
from ratings.models import Study
from ratings.services import ratings_import
from ratings.tabular import ImportRejected, read_file


class Command(BaseCommand):
    help = ("Import ratings in long format (target_id, rater_id, item, score[, instrument]) from CSV "
            "or JSONL. One bad row rejects the whole file; re-importing it changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("study", help="slug of an existing study")
        parser.add_argument("file", type=Path)
        parser.add_argument("--instrument", help="slug or slug@version, when the study uses several")
        parser.add_argument("--format", choices=["csv", "jsonl"], help="default: from the extension")

    def handle(self, *args, study, file, instrument, format, **options):
        try:
            study_obj = Study.objects.get(slug=study)
        except Study.DoesNotExist:
            raise CommandError(f"no study {study!r}; import its targets first") from None
        try:
            rows = read_file(file, format, required=("target_id", "rater_id", "item", "score"))
            result = ratings_import(study=study_obj, rows=rows, instrument=instrument, actor=Actor.command(),
                                    file_name=str(file))
        except ImportRejected as exc:
            raise CommandError(f"{file}: {exc}") from exc
        self.stdout.write(f"{study_obj.slug}: {result.created} ratings created, {result.updated} updated, "
                          f"{result.unchanged} unchanged ({result.item_scores} item scores written)")
