"""``manage.py export_instrument SLUG[@VERSION] [--format yaml|json]``: write a definition out."""

from django.core.management.base import BaseCommand, CommandError

from instruments.definition import to_json, to_yaml
from instruments.models import InstrumentVersion
from instruments.selectors import instrument_version_get


class Command(BaseCommand):
    help = "Print a published instrument version's definition (loads back to the same hash)."

    def add_arguments(self, parser):
        parser.add_argument("reference", help="slug (latest version) or slug@version")
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml")

    def handle(self, *args, reference, format, **options):
        try:
            version = instrument_version_get(reference=reference)
        except InstrumentVersion.DoesNotExist as exc:
            raise CommandError(f"no published instrument {reference!r}") from exc
        render = to_json if format == "json" else to_yaml
        self.stdout.write(render(version.definition), ending="")
