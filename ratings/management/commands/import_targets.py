"""``manage.py import_targets STUDY FILE``: add targets (CSV or JSONL) to a study, atomically."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.actor import Actor
from ratings.services import study_get_or_create, targets_import
from ratings.tabular import ImportRejected, format_for, read_file


class Command(BaseCommand):
    help = ("Import targets from CSV (id, text, criterion:NAME, other columns as metadata) or JSONL "
            "(id, text, metadata, criteria). One bad row rejects the whole file.")

    def add_arguments(self, parser):
        parser.add_argument("study", help="study slug; the study is created if it does not exist")
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["csv", "jsonl"], help="default: from the extension")
        parser.add_argument("--title", help="title of a study created by this import")

    def handle(self, *args, study, file, format, title, **options):
        try:
            fmt = format_for(file, format)
            rows = read_file(file, fmt, required=("id", "text"))
            study_obj, created = study_get_or_create(slug=study, title=title)
            result = targets_import(study=study_obj, rows=rows, fmt=fmt, actor=Actor.command(), file_name=str(file))
        except ImportRejected as exc:
            raise CommandError(f"{file}: {exc}") from exc
        if created:
            self.stdout.write(f"created study {study_obj.slug}")
        self.stdout.write(f"{study_obj.slug}: {result.created} targets created, {result.updated} updated, "
                          f"{result.unchanged} unchanged")
