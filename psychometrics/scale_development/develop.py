"""From an item pool to a short scale: selection inside grouped repeated cross-validation,
with bootstrap optimism correction of the apparent reliability and validity."""
from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._base import ResultMixin, as_float_matrix
from ..cfa import cfa_one_factor
from ._matrix import as_criteria
from .evaluate import metric_names, scale_performance
from .folds import cluster_bootstrap_rows, cluster_codes, cluster_members, grouped_folds
from .item_analysis import Bounds, item_analysis
from .rule import SelectionRule, rank_items


@dataclass(frozen=True, slots=True)
class ScaleDevelopmentResult(ResultMixin):
    """The short scale a rule selects from a pool, with apparent, cross-validated and
    optimism-corrected reliability and validity.

    ``apparent``, ``cross_validated``, ``optimism`` and ``corrected`` map metric names
    (``omega_total``, ``alpha``, ``r:CRITERION``) to floats; ``cross_validated_sd`` is the SD
    over test folds. ``k_curve`` holds the mean test-fold metrics per candidate k.
    ``selection_frequency`` is the share of training folds whose selection held each item.
    ``cfa_one_factor`` is the one-factor CFA fit (chi-square, df, CFI, TLI, RMSEA, SRMR) of the
    selected items on all targets: apparent, since the items were chosen on the same data; or
    ``{"error": sentence}`` (fewer than four items, or a model that cannot be fitted).
    """

    selected: tuple[str, ...]
    keys: dict
    k: int
    k_chosen_by: str
    rule: dict
    apparent: dict
    cross_validated: dict
    cross_validated_sd: dict
    optimism: dict
    corrected: dict
    k_curve: pd.DataFrame
    selection_frequency: dict
    item_analysis: pd.DataFrame
    cfa_one_factor: dict
    n: int
    n_items: int
    n_clusters: int
    criteria: tuple[str, ...]
    n_folds: int
    n_repeats: int
    n_boot: int
    seed: int
    method: str


def develop_scale(items, criteria=None, *, rule: SelectionRule, clusters=None,
                  n_folds: int = 3, n_repeats: int = 20, n_boot: int = 200, seed: int = 0,
                  bounds: Bounds | None = None, answers=None) -> ScaleDevelopmentResult:
    r"""Select a short scale from an item pool and estimate how well it will do on new targets.

    1. **Item analysis** of every pool item (`item_analysis`).
    2. **Cross-validation**: ``n_repeats`` times, the targets are split into ``n_folds`` folds
       by cluster (a cluster, e.g. a patient's sessions, never straddles training and test);
       the rule is applied to the training folds only and the selected scale's omega total,
       alpha and r with each criterion are measured on the held-out fold. When ``rule.k`` is
       None, this is done for every k in ``k_min..k_max`` and k is chosen from the mean
       test-fold curve (``rule.choose_k``).
    3. **Apparent** performance: the rule applied to all targets, measured on the same targets.
    4. **Bootstrap optimism** (Efron & Tibshirani 1993, sec. 17.6; Harrell, Lee & Mark 1996):
       in each of ``n_boot`` bootstrap samples (whole clusters resampled when ``clusters`` is
       given) the rule is applied again, and

       .. math:: \text{optimism} = \frac{1}{B}\sum_b \left(P_b(\text{sample}_b)
                 - P_b(\text{original})\right),\qquad
                 \text{corrected} = \text{apparent} - \text{optimism}

       with :math:`P_b(\cdot)` the performance of the scale selected in sample b. The whole
       procedure is repeated in every sample: screening, keying and ranking, and, when k is
       chosen by the procedure, the choice of k too (by one round of grouped ``n_folds``-fold
       cross-validation inside the sample, duplicated clusters kept in one fold). The
       cross-validated figures of a k chosen from the same curve are slightly optimistic;
       the corrected ones are not.

    ``items`` is a targets x items matrix (DataFrame; NaN for missing or failed answers),
    reverse-keyed items either keyed already or left to the rule's keying by loading sign.
    ``criteria`` is a DataFrame with one column per criterion (rows aligned with ``items``);
    ``rule.criterion`` names the one that guides selection. Everything random comes from
    ``numpy.random.default_rng(seed)``: the same inputs and seed give the same result.
    ``bounds`` (item -> scale min, max) and ``answers`` (the scale points to count, e.g. an
    LLM's modes beside its expected scores in ``items``) feed the floor/ceiling shares.

    Parameters
    ----------
    items : DataFrame
        Targets x pool items, NaN for missing or failed answers.
    criteria : DataFrame, optional
        One column per criterion, rows aligned with ``items``.
    rule : SelectionRule
        How items are screened, keyed, ranked and how many are kept.
    clusters : sequence, optional
        One cluster label per target; clusters are never split and are resampled whole.
    n_folds, n_repeats : int
        Grouped k-fold cross-validation, repeated.
    n_boot : int
        Bootstrap samples for the optimism correction.
    seed : int
        Seed of every random step.
    bounds, answers
        As in `item_analysis`.

    Returns
    -------
    ScaleDevelopmentResult
        The selected items, item analysis, apparent, cross-validated, optimism and corrected
        performance, and the chosen k.

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall,
    sec. 17.6 (estimates of prediction error, the optimism bootstrap).
    Harrell, F. E., Lee, K. L., & Mark, D. B. (1996). Multivariable prognostic models. Statistics
    in Medicine, 15(4), 361-387.
    Steyerberg, E. W. (2019). Clinical Prediction Models (2nd ed.), ch. 17 (internal validation).
    McDonald, R. P. (1999). Test Theory: A Unified Treatment. Erlbaum.
    Smith, G. T., McCarthy, D. M., & Anderson, K. G. (2000). On the sins of short-form
    development. Psychological Assessment, 12(1), 102-111.

    Examples
    --------
    A simulated pool of 30 items of which 8 load .7-.8 on a factor that correlates .5 with the
    criterion, 300 targets in 60 clusters:

    >>> from psychometrics.scale_development.simulate import simulate_pool
    >>> items, criteria, clusters, true = simulate_pool(seed=1)
    >>> result = develop_scale(items, criteria, rule=SelectionRule(k=8, criterion="criterion"),
    ...                        clusters=clusters, n_repeats=2, n_boot=10, seed=1)
    >>> sorted(result.selected) == sorted(true)
    True
    >>> 0.4 < result.corrected["r:criterion"] < 0.6
    True
    """
    if n_repeats < 1 or n_boot < 1:
        raise ValueError("n_repeats and n_boot must be positive.")
    pool = _Pool.from_inputs(items, criteria, rule=rule, clusters=clusters, bounds=bounds, answers=answers)
    ks = _candidate_ks(rule, len(pool.names))
    rng = np.random.default_rng(seed)
    curve, frequency = _cross_validate(pool, ks, n_folds, n_repeats, rng)
    metrics = metric_names(pool.criterion_names)
    k, chosen_by = _choose_k(rule, ks, curve, metrics)
    final = pool.rank(np.arange(len(pool.x)))
    if len(final.order) < k:
        raise ValueError(f"Only {len(final.order)} items pass the rule's screening on all targets; "
                         f"a {k}-item scale cannot be selected. Relax the rule or lower k.")
    selected, signs = final.take(k)
    apparent = scale_performance(pool.x, pool.y, selected, signs)
    optimism = _bootstrap_optimism(pool, k if rule.k is not None else None, ks, n_folds, n_boot, rng)
    at_k = curve[:, :, ks.index(k), :]

    def figures(values) -> dict:
        return dict(zip(metrics, np.asarray(values).tolist()))

    unit = "cluster" if clusters is not None else "target"
    return ScaleDevelopmentResult(
        selected=tuple(pool.names[i] for i in selected),
        keys={pool.names[i]: int(s) for i, s in zip(selected, signs)},
        k=k, k_chosen_by=chosen_by, rule=rule.to_dict(), apparent=figures(apparent),
        cross_validated=figures(_nanmean(at_k, axis=(0, 1))),
        cross_validated_sd=figures(_nanstd(at_k)),
        optimism=figures(optimism), corrected=figures(apparent - optimism),
        k_curve=pd.DataFrame(_nanmean(curve, axis=(0, 1)), index=pd.Index(ks, name="k"), columns=metrics),
        selection_frequency={pool.names[j]: float(f) for j, f in enumerate(frequency[ks.index(k)]) if f > 0},
        item_analysis=pool.analysis, cfa_one_factor=_cfa(pool.x[:, selected] * signs), n=len(pool.x), n_items=len(pool.names),
        n_clusters=int(pool.codes.max()) + 1 if len(pool.codes) else 0,
        criteria=tuple(pool.criterion_names), n_folds=n_folds, n_repeats=n_repeats, n_boot=n_boot, seed=seed,
        method=(f"selection by rule inside {n_repeats} x {n_folds}-fold cross-validation grouped by {unit}; "
                f"optimism correction from {n_boot} bootstrap samples resampling {unit}s (Harrell, Lee & "
                "Mark 1996); omega total (McDonald 1999), alpha (Cronbach 1951), Pearson r"),
    )


@dataclass(frozen=True)
class _Pool:
    """The rated targets' item scores ``x``, criteria ``y``, answers ``a`` (or None), cluster
    codes, and how to rank items on a subset of rows."""

    x: np.ndarray
    y: np.ndarray
    a: np.ndarray | None
    codes: np.ndarray
    names: list
    criterion_names: list
    analysis: pd.DataFrame
    rule: SelectionRule
    selection_column: int | None
    bounds: tuple | None

    @classmethod
    def from_inputs(cls, items, criteria, *, rule, clusters, bounds, answers) -> "_Pool":
        frame = items if isinstance(items, pd.DataFrame) else pd.DataFrame(items)
        x_all, names = as_float_matrix(frame, what="Item scores")
        y_all, criterion_names = as_criteria(criteria, x_all.shape[0])
        if rule.criterion is not None and rule.criterion not in criterion_names:
            raise ValueError(f"The rule's criterion {rule.criterion!r} is not among the criteria "
                             f"{criterion_names}.")
        analysis = item_analysis(frame, pd.DataFrame(y_all, columns=criterion_names) if criterion_names else None,
                                 bounds=bounds, answers=answers)
        rated = ~np.isnan(x_all).all(axis=1)  # targets the LLM failed on carry no information
        a = None if answers is None else as_float_matrix(answers, what="Answers")[0][rated]
        codes = cluster_codes(None if clusters is None else np.asarray(clusters, dtype=object)[rated],
                              int(rated.sum()))
        return cls(x=x_all[rated], y=y_all[rated], a=a, codes=codes, names=names,
                   criterion_names=criterion_names, analysis=analysis, rule=rule,
                   selection_column=criterion_names.index(rule.criterion) if rule.criterion else None,
                   bounds=_bounds_array(names, bounds))

    def subset(self, rows: np.ndarray) -> "_Pool":
        """The pool restricted to ``rows`` (a bootstrap sample: repeated rows keep their cluster)."""
        codes = np.unique(self.codes[rows], return_inverse=True)[1].ravel()
        return dataclasses.replace(self, x=self.x[rows], y=self.y[rows], codes=codes,
                                   a=None if self.a is None else self.a[rows])

    def rank(self, rows: np.ndarray):
        y = None if self.selection_column is None else self.y[rows, self.selection_column]
        return rank_items(self.x[rows], y, self.rule, self.bounds, None if self.a is None else self.a[rows])


def _cfa(x: np.ndarray) -> dict:
    if x.shape[1] < 4:
        return {"error": "A one-factor CFA needs at least four items to test its fit."}
    try:
        fit = cfa_one_factor(x)
    except (ValueError, np.linalg.LinAlgError) as error:
        return {"error": str(error)}
    return {name: getattr(fit, name) for name in ("n", "chisq", "df", "cfi", "tli", "rmsea", "srmr")}


def _candidate_ks(rule: SelectionRule, n_items: int) -> list[int]:
    if rule.k is not None:
        if rule.k > n_items:
            raise ValueError(f"k = {rule.k} exceeds the pool's {n_items} items.")
        return [rule.k]
    high = min(rule.k_max, n_items)
    if high < rule.k_min:
        raise ValueError(f"The pool's {n_items} items are fewer than k_min = {rule.k_min}.")
    return list(range(rule.k_min, high + 1))


def _bounds_array(names, bounds):
    if bounds is None:
        return None
    return (np.array([bounds[n][0] for n in names], dtype=float),
            np.array([bounds[n][1] for n in names], dtype=float))


def _cross_validate(pool: _Pool, ks, n_folds, n_repeats, rng):
    """Test-fold metrics, repeats x folds x ks x metrics, and per k the share of training
    folds that selected each item."""
    curve = np.full((n_repeats, n_folds, len(ks), 2 + pool.y.shape[1]), np.nan)
    frequency = np.zeros((len(ks), pool.x.shape[1]))
    for rep in range(n_repeats):
        fold = grouped_folds(pool.codes, n_folds, rng)
        for f in range(n_folds):
            test = fold == f
            ranking = pool.rank(np.nonzero(~test)[0])
            for ki, k in enumerate(ks):
                chosen, signs = ranking.take(k)
                if len(chosen) == k:
                    curve[rep, f, ki] = scale_performance(pool.x[test], pool.y[test], chosen, signs)
                frequency[ki, chosen] += 1
    return curve, frequency / (n_repeats * n_folds)


def _choose_k(rule: SelectionRule, ks, curve, metrics) -> tuple[int, str]:
    if rule.k is not None:
        return rule.k, "given"
    mean = _nanmean(curve, axis=(0, 1))
    if rule.choose_k == "max_validity":
        r = np.abs(mean[:, metrics.index(f"r:{rule.criterion}")])
        if np.isnan(r).all():
            raise ValueError("No candidate k gave a defined cross-validated validity.")
        return ks[int(np.nanargmax(r))], f"largest mean |r| with {rule.criterion} on test folds"
    omega = mean[:, 0]
    if np.isnan(omega).all():
        raise ValueError("No candidate k gave a defined cross-validated omega.")
    reached = np.nonzero(omega >= rule.omega_target)[0]
    if len(reached):
        return ks[int(reached[0])], f"smallest k with mean test-fold omega >= {rule.omega_target}"
    return ks[int(np.nanargmax(omega))], (f"highest mean test-fold omega (none reached "
                                          f"{rule.omega_target})")


def _bootstrap_optimism(pool: _Pool, k: int | None, ks, n_folds, n_boot, rng) -> np.ndarray:
    """Mean over bootstrap samples of (performance in the sample - on the original targets)
    of the scale the procedure selects in the sample; ``k`` None: each sample chooses its k."""
    members = cluster_members(pool.codes)
    metrics = metric_names(pool.criterion_names)
    differences = np.full((n_boot, len(metrics)), np.nan)
    for b in range(n_boot):
        rows = cluster_bootstrap_rows(pool.codes, rng, members)
        sample = pool.subset(rows)
        k_b = k
        if k_b is None:
            curve, _ = _cross_validate(sample, ks, n_folds, 1, rng)
            try:
                k_b, _ = _choose_k(pool.rule, ks, curve, metrics)
            except ValueError:  # no k gave a defined figure in this sample
                continue
        chosen, signs = sample.rank(np.arange(len(rows))).take(k_b)
        if len(chosen) == k_b:
            differences[b] = (scale_performance(sample.x, sample.y, chosen, signs)
                              - scale_performance(pool.x, pool.y, chosen, signs))
    return _nanmean(differences, axis=0)


def _nanmean(values: np.ndarray, axis=None) -> np.ndarray:
    """Mean ignoring NaN; NaN (without a warning) where every value is undefined, e.g. a k
    that no training fold had enough eligible items for."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis)


def _nanstd(values: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanstd(values, axis=(0, 1), ddof=1)
