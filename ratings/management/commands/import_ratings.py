"""``manage.py import_ratings STUDY FILE``: import ratings in long format, atomically."""

import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.actor import Actor
from ratings.models import Study
from ratings.services import ratings_import
from ratings.services.import_raters import ImportSource
from ratings.tabular import ImportRejected, read_file


def file_sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""  # read_file names the problem


class Command(BaseCommand):
    help = ("Import ratings in long format (target_id, rater_id, item, score[, instrument, rater_kind, model, "
            "distribution]) from CSV or JSONL. Rater ids are the study's own. One bad row rejects the whole "
            "file; re-importing it changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("study", help="slug of an existing study")
        parser.add_argument("file", type=Path)
        parser.add_argument("--instrument", help="slug or slug@version, when the study uses several")
        parser.add_argument("--format", choices=["csv", "jsonl"], help="default: from the extension")
        parser.add_argument("--rater-kind", choices=["human", "llm"], default="human",
                            help="kind of the file's raters unless a rater_kind column says otherwise; llm: "
                                 "outside judges, whose scores may be any number in the scale's range")
        parser.add_argument("--model", default="", help="the outside judges' model (or a `model` column)")
        parser.add_argument("--rater-ids", choices=["study", "per-target"], default="study",
                            help="per-target: ids are labels per target (each target's 'R1' is another "
                                 "rater); declares the study's design one-way")

    def handle(self, *args, study, file, instrument, format, rater_kind, model, rater_ids, **options):
        try:
            study_obj = Study.objects.get(slug=study)
        except Study.DoesNotExist:
            raise CommandError(f"no study {study!r}; import its targets first") from None
        try:
            rows = read_file(file, format, required=("target_id", "rater_id", "item", "score"))
            result = ratings_import(study=study_obj, rows=rows, instrument=instrument, rater_kind=rater_kind,
                                    model=model, rater_ids=rater_ids,
                                    source=ImportSource(file_name=file.name, file_sha256=file_sha256(file)),
                                    actor=Actor.command())
        except ImportRejected as exc:
            raise CommandError(f"{file}: {exc}") from exc
        self.stdout.write(f"{study_obj.slug}: {result.created} ratings created, {result.updated} updated, "
                          f"{result.unchanged} unchanged ({result.item_scores} item scores written)")
        if result.raters_created:
            self.stdout.write(f"{result.raters_created} raters created in study {study_obj.slug}")
        if rater_ids == "per-target":
            self.stdout.write(f"rating design: {result.rating_design} (per-target rater ids)")
