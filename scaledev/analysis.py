"""Scale development on a study's ratings of an item pool: reads only, writes nothing."""

from dataclasses import dataclass

from psychometrics._base import _jsonable
from psychometrics.scale_development import ScaleDevelopmentResult, SelectionRule, develop_scale
from reports.item_matrix import item_matrix
from reports.selectors import report_instrument_version


@dataclass(frozen=True)
class ScaleDevelopment:
    """A scale-development run with what it was run on."""

    study: object
    pool_version: object
    rater: str
    cluster_field: str | None
    result: ScaleDevelopmentResult

    def to_dict(self) -> dict:
        return {"study": self.study.slug, "pool": str(self.pool_version),
                "pool_content_hash": self.pool_version.content_hash, "rater": self.rater,
                "cluster_field": self.cluster_field, **_jsonable(self.result)}


def pool_version_for_study(study, reference: str):
    """The study's version of the pool ``reference`` (``slug`` or ``slug@version``); ValueError
    with a sentence when the study does not use it or it is not marked as an item pool."""
    version = report_instrument_version(study, reference)
    if not version.spec.pool:
        raise ValueError(f"{version} is not an item pool: mark its definition `pool: true` and "
                         "publish it as a new version to develop a short scale from it.")
    return version


def scale_development_compute(*, study, pool_version, rule: SelectionRule, rater: str | None = None,
                              cluster_field: str | None = None, seed: int = 0, n_folds: int = 3,
                              n_repeats: int = 20, n_boot: int = 200) -> ScaleDevelopment:
    """Item analysis and short-scale selection on ``rater``'s ratings of the pool (default: the
    study's only LLM rater of it). Targets whose rating failed are missing data. ``ValueError``
    with a sentence for anything that makes the request impossible."""
    matrix = item_matrix(study, instrument_version=pool_version, rater=rater, cluster_field=cluster_field)
    if rule.criterion is not None and rule.criterion not in matrix.criteria.columns:
        known = ", ".join(matrix.criteria.columns) or "none"
        raise ValueError(f"No target of the study has a criterion {rule.criterion!r} (criteria: {known}).")
    result = develop_scale(matrix.items, matrix.criteria, rule=rule,
                           clusters=None if matrix.clusters is None else matrix.clusters.to_numpy(),
                           n_folds=n_folds, n_repeats=n_repeats, n_boot=n_boot, seed=seed,
                           bounds=matrix.bounds, answers=matrix.answers)
    return ScaleDevelopment(study=study, pool_version=pool_version, rater=matrix.rater,
                            cluster_field=cluster_field, result=result)
