"""``manage.py develop_scale STUDY --pool SLUG [--k 8] [--criterion NAME] [--cluster FIELD] [--publish]``."""

import json

from django.core.management.base import BaseCommand, CommandError

from instruments.definition import DefinitionError
from psychometrics.scale_development import SelectionRule
from ratings.models import Study
from scaledev.analysis import pool_version_for_study, scale_development_compute
from scaledev.render import summary_lines
from scaledev.services import short_scale_publish


class Command(BaseCommand):
    help = ("Select a short scale from a study's LLM ratings of an item pool: item analysis, selection "
            "inside grouped repeated cross-validation, bootstrap optimism correction; optionally publish it.")

    def add_arguments(self, parser):
        parser.add_argument("study", help="the study's slug")
        parser.add_argument("--pool", required=True, help="the pool instrument, slug or slug@version")
        parser.add_argument("--rater", help="rater whose ratings to use (default: the study's only LLM rater)")
        parser.add_argument("--criterion", help="criterion that guides selection and validity")
        parser.add_argument("--cluster", help="metadata field of the targets' cluster (e.g. patient)")
        parser.add_argument("--k", type=int, help="number of items (default: chosen by the procedure)")
        parser.add_argument("--choose-k", choices=["max_validity", "omega_target"], default="max_validity")
        parser.add_argument("--k-min", type=int, default=3)
        parser.add_argument("--k-max", type=int, default=20)
        parser.add_argument("--omega-target", type=float, default=0.9)
        parser.add_argument("--rank-by", choices=["loading", "item_total"], default="loading")
        parser.add_argument("--min-criterion-r", type=float, default=0.0,
                            help="minimum |r| of an item with the criterion (keyed)")
        parser.add_argument("--direction", choices=["any", "positive", "negative"], default="any",
                            help="sign the item-criterion r must have")
        parser.add_argument("--max-missing", type=float, default=0.2, help="largest missing share of an item")
        parser.add_argument("--max-floor-ceiling", type=float, default=1.0,
                            help="largest share of answers at one end of the scale")
        parser.add_argument("--folds", type=int, default=3)
        parser.add_argument("--repeats", type=int, default=20)
        parser.add_argument("--boots", type=int, default=200, help="bootstrap samples for the optimism")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--publish", action="store_true", help="publish the selected items as an instrument")
        parser.add_argument("--slug", help="slug of the short scale (default: <pool>-short)")
        parser.add_argument("--scale-version", default="1.0.0", dest="scale_version",
                            help="version of the published short scale (default 1.0.0)")
        parser.add_argument("--title", help="its title")

    def handle(self, *args, **o):
        study = Study.objects.filter(slug=o["study"]).first()
        if study is None:
            raise CommandError(f"no study {o['study']!r}")
        try:
            rule = SelectionRule(
                k=o["k"], criterion=o["criterion"], rank_by=o["rank_by"], min_abs_criterion_r=o["min_criterion_r"],
                criterion_direction=o["direction"], max_missing_share=o["max_missing"],
                max_floor_ceiling_share=o["max_floor_ceiling"], choose_k=o["choose_k"], k_min=o["k_min"],
                k_max=o["k_max"], omega_target=o["omega_target"])
            pool = pool_version_for_study(study, o["pool"])
            development = scale_development_compute(
                study=study, pool_version=pool, rule=rule, rater=o["rater"], cluster_field=o["cluster"],
                seed=o["seed"], n_folds=o["folds"], n_repeats=o["repeats"], n_boot=o["boots"])
            published = (short_scale_publish(development=development, slug=o["slug"], version=o["scale_version"],
                                             title=o["title"]) if o["publish"] else None)
        except DefinitionError as error:
            raise CommandError(f"nothing published; {error}") from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        if o["format"] == "json":
            out = development.to_dict()
            if published is not None:
                out["published"] = {"instrument": str(published.version), "created": published.created,
                                    "content_hash": published.version.content_hash}
            self.stdout.write(json.dumps(out, indent=2, allow_nan=False))
            return
        self.stdout.write("\n".join(summary_lines(development)))
        if published is not None:
            state = "published" if published.created else "already published (same content)"
            self.stdout.write(f"{state}: {published.version} (content hash {published.version.content_hash[:12]})")
