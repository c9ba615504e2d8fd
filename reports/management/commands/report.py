"""``python manage.py report STUDY --format json|csv|html [--instrument SLUG] [--output FILE|DIR/]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.actor import Actor
from ratings.models import Study
from reports.build import DEFAULT_N_BOOT, study_report
from reports.render import render_csv, render_html, render_json, render_table_csvs
from reports.selectors import report_instrument_version
from reports.services import report_exported

RENDERERS = {"json": render_json, "csv": render_csv, "html": render_html}


class Command(BaseCommand):
    help = "Print or write a study's report (reliability, agreement, validity) as JSON, CSV or HTML."
    # A read-only command: the system checks (URL configuration, every view and its imports) would
    # add seconds to each report and check nothing it uses; `manage.py check` runs them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("study", help="the study's slug")
        parser.add_argument("--format", choices=sorted(RENDERERS), default="json")
        parser.add_argument("--instrument", help="slug or slug@version, when the study uses several")
        parser.add_argument("--cluster", help="metadata field naming the cluster (e.g. patient)")
        parser.add_argument("--output", help="write to this file instead of standard output; with --format "
                                             "csv, a folder (existing, or ending in /) gets one CSV per table")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--n-boot", type=int, default=None,
                            help=f"bootstrap resamples (default {DEFAULT_N_BOOT})")

    def handle(self, *args, **options):
        study = Study.objects.filter(slug=options["study"]).first()
        if study is None:
            raise CommandError(f"no study {options['study']!r}")
        try:
            version = report_instrument_version(study, options["instrument"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        report = study_report(study, instrument_version=version, cluster_field=options["cluster"],
                              seed=options["seed"], n_boot=options["n_boot"])
        output = options["output"]
        if options["format"] == "csv" and output and (Path(output).is_dir() or output.endswith("/")):
            folder = Path(output)
            folder.mkdir(parents=True, exist_ok=True)
            files = render_table_csvs(report)
            for name, text in files.items():
                (folder / name).write_text(text, encoding="utf-8")
            self.stderr.write(f"wrote {len(files)} CSV files (one per table, and figures.csv) to {folder}")
            return
        text = RENDERERS[options["format"]](report)
        report_exported(actor=Actor.command(), study=study,
                        detail={"instrument": str(version), "format": options["format"], "output": options["output"]})
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"wrote {options['output']}")
        else:
            self.stdout.write(text)
