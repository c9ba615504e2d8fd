"""``manage.py load_instrument FILE [FILE ...] | --builtin``: validate and publish definitions."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from instruments.definition import DefinitionError
from instruments.selectors import builtin_definition_files
from instruments.services import instrument_load


class Command(BaseCommand):
    help = "Validate instrument definitions (YAML or JSON) and publish them as versions."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", type=Path)
        parser.add_argument("--builtin", action="store_true", help="load the built-in instruments")

    def handle(self, *args, files, builtin, **options):
        paths = list(files) + (builtin_definition_files() if builtin else [])
        if not paths:
            raise CommandError("name a definition file, or pass --builtin")
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"{path}: {exc.strerror}") from exc
            fmt = "json" if path.suffix.lower() == ".json" else "yaml"
            try:
                result = instrument_load(text=text, fmt=fmt)
            except DefinitionError as exc:
                raise CommandError(f"{path}: nothing stored; {exc}") from exc
            state = "published" if result.created else "already published, unchanged"
            self.stdout.write(f"{result.version} ({result.version.content_hash[:12]}): {state}")
