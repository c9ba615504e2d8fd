"""``manage.py import_literature STUDY FILE``: a study's related-work corpus (CSV or JSONL)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from novelty.services import literature_import
from ratings.models import Study
from ratings.tabular import ImportRejected, format_for, read_file


class Command(BaseCommand):
    help = ("Import a study's literature corpus for the novelty pipeline: columns id, title, abstract, "
            "year, venue (optional). One bad row rejects the whole file.")

    def add_arguments(self, parser):
        parser.add_argument("study", help="slug of an existing study (import its targets first)")
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["csv", "jsonl"], help="default: from the extension")

    def handle(self, *args, study, file, format, **options):
        try:
            fmt = format_for(file, format)
            rows = read_file(file, fmt, required=("id", "title", "abstract"))
            study_obj = Study.objects.filter(slug=study).first()
            if study_obj is None:
                raise CommandError(f"no study {study!r}; import its targets (the submissions) first")
            result = literature_import(study=study_obj, rows=rows)
        except ImportRejected as exc:
            raise CommandError(f"{file}: {exc}") from exc
        self.stdout.write(f"{study_obj.slug}: {result.created} papers created, {result.updated} updated, "
                          f"{result.unchanged} unchanged")
