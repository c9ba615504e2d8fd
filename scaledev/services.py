"""Writes for scale development: publishing a selected short scale as an instrument version."""

from django.db import transaction

from instruments.definition import load_definition, to_json
from instruments.services import PublishResult, instrument_publish

from .analysis import ScaleDevelopment
from .definition import derivation_record, short_scale_definition


@transaction.atomic
def short_scale_publish(*, development: ScaleDevelopment, slug: str | None = None, version: str = "1.0.0",
                        title: str | None = None) -> PublishResult:
    """Publish the selected items as a scale instrument whose ``derivation`` records the pool
    version (slug, version, content hash), study, rater, rule, k, seed, resampling settings and
    the apparent, cross-validated and optimism-corrected figures.

    Goes through the same validation and `instrument_publish` as any definition: the same
    development published twice is one version (content hash); other content under a taken
    version number is refused with a ``DefinitionError``. ``slug`` defaults to
    ``<pool slug>-short``."""
    pool = development.pool_version
    derivation = derivation_record(development.result, pool_version=pool, study_slug=development.study.slug,
                                   rater=development.rater, cluster_field=development.cluster_field)
    document = short_scale_definition(pool.definition, derivation, slug=slug or f"{pool.instrument.slug}-short",
                                      version=version, title=title)
    # A round trip through the text format validates it exactly as a loaded file would be.
    return instrument_publish(document=load_definition(to_json(document), fmt="json"))
