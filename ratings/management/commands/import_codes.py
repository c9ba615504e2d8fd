"""``manage.py import_codes STUDY FILE``: import segment codes in long format, atomically."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.actor import Actor
from ratings.models import Study
from ratings.services.codes_import import REQUIRED_COLUMNS, codes_import
from ratings.services.import_raters import ImportSource
from ratings.tabular import ImportRejected, read_file

from .import_ratings import file_sha256


class Command(BaseCommand):
    help = ("Import the codes of a coding instrument in long format (target_id, segment_id, rater_id, code_set, "
            "code[, rater_kind, model, distribution, instrument]) from CSV or JSONL. Rater ids are the study's own. "
            "One bad row rejects the whole file; re-importing it changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("study", help="slug of an existing study with segments")
        parser.add_argument("file", type=Path)
        parser.add_argument("--instrument", help="slug or slug@version, when the study uses several coding instruments")
        parser.add_argument("--format", choices=["csv", "jsonl"], help="default: from the extension")
        parser.add_argument("--rater-kind", choices=["human", "llm"], default="human",
                            help="kind of the file's coders unless a rater_kind column says otherwise")
        parser.add_argument("--model", default="", help="the outside judges' model (or a `model` column)")

    def handle(self, *args, study, file, instrument, format, rater_kind, model, **options):
        try:
            study_obj = Study.objects.get(slug=study)
        except Study.DoesNotExist:
            raise CommandError(f"no study {study!r}; import its targets first") from None
        try:
            rows = read_file(file, format, required=REQUIRED_COLUMNS)
            result = codes_import(study=study_obj, rows=rows, instrument=instrument, rater_kind=rater_kind,
                                  model=model, source=ImportSource(file_name=file.name, file_sha256=file_sha256(file)),
                                  actor=Actor.command())
        except ImportRejected as exc:
            raise CommandError(f"{file}: {exc}") from exc
        self.stdout.write(f"{study_obj.slug}: {result.created} codings created, {result.updated} updated, "
                          f"{result.unchanged} unchanged ({result.segment_codes} segment codes written)")
        if result.raters_created:
            self.stdout.write(f"{result.raters_created} raters created in study {study_obj.slug}")
