"""``manage.py import_segments STUDY FILE``: the ordered segments (utterances) of a study's targets."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.actor import Actor
from ratings.models import Study
from ratings.services.segments import segments_import
from ratings.tabular import ImportRejected, read_file

REQUIRED = ("target_id", "segment_id", "speaker", "text")


class Command(BaseCommand):
    help = ("Import the segments of a study's targets from CSV or JSONL (target_id, segment_id, speaker, "
            "text; a target's segments in order). One bad row rejects the whole file; re-importing it "
            "changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("study", help="slug of an existing study")
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["csv", "jsonl"], help="default: from the extension")

    def handle(self, *args, study, file, format, **options):
        try:
            study_obj = Study.objects.get(slug=study)
        except Study.DoesNotExist:
            raise CommandError(f"no study {study!r}; import its targets first") from None
        try:
            rows = read_file(file, format, required=REQUIRED)
            result = segments_import(study=study_obj, rows=rows, actor=Actor.command(), file_name=file.name)
        except ImportRejected as exc:
            raise CommandError(f"{file}: {exc}") from exc
        self.stdout.write(f"{study_obj.slug}: {result.segments} segments stored for {result.targets} targets, "
                          f"{result.unchanged} targets unchanged")
