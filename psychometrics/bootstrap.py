"""Bootstrap confidence intervals: percentile and BCa, resampling targets or clusters."""
from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Callable, Iterator, Literal

import numpy as np
from scipy import stats

from ._base import ResultMixin, check_conf, check_level, one_blas_thread

BootMethod = Literal["percentile", "bca"]
_CHUNK_CELLS = 20_000_000  # replicate x unit cells per chunk: bounds memory to ~160 MB
_SHARED_BYTES = 128_000_000  # resampling counts kept by `shared_resamples`, at most
_ROW_BY_ROW_UNITS = 2 ** 15  # units from which resampling counts are counted per replicate
_FEW_PATTERNS = 4  # units per distinct feature row below which rows are not grouped
_FEW_MEMBERS = 16  # distinct feature rows with at most this many units are summed member by member
_BUFFER_CELLS = 2 ** 19  # rare rows x replicates summed at a time (2 MB, reused)
_U16_ROWS = 257  # uint8 counts summed in uint16 this many rows at a time: 257 * 255 = 2**16 - 1
_SHARED: ContextVar[OrderedDict | None] = ContextVar("bootstrap_shared_resamples", default=None)


@dataclass(frozen=True, slots=True)
class BootstrapResult(ResultMixin):
    """A statistic with its bootstrap confidence interval."""

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    n_boot: int
    standard_error: float
    method: str


def _weights(rng: np.random.Generator, n_rows: int, n_units: int) -> np.ndarray:
    """Resampling counts: n_rows replicates, each drawing n_units units with replacement, as
    small unsigned integers (widened only when a count does not fit).

    Many units are drawn and counted replicate by replicate, so that no draw array of a
    chunk's size is allocated (fresh pages cost more than the draws) and each bincount stays
    in cache. The draws are those of one ``rng.integers(0, n_units, size=(n_rows, n_units))``:
    numpy draws a range under 2**32 from 32-bit outputs whatever the result type, keeping the
    unused half of a 64-bit output in the generator's state between calls.
    """
    if n_units < _ROW_BY_ROW_UNITS:
        idx = rng.integers(0, n_units, size=(n_rows, n_units))
        idx += (np.arange(n_rows) * n_units)[:, None]
        counted = np.bincount(idx.ravel(), minlength=n_rows * n_units).reshape(n_rows, n_units)
        return counted.astype(np.uint8) if counted.max() <= np.iinfo(np.uint8).max else counted
    out = np.empty((n_rows, n_units), dtype=np.uint8)
    for row in range(n_rows):
        drawn = rng.integers(0, n_units, size=n_units, dtype=np.int32 if n_units < 2 ** 31 else np.int64)
        counted = np.bincount(drawn, minlength=n_units)
        if out.dtype == np.uint8 and counted.max() > np.iinfo(np.uint8).max:
            out = out.astype(np.int64)
        out[row] = counted
    return out


@contextmanager
def shared_resamples() -> Iterator[None]:
    """Within the block, `additive_bootstrap` keeps the resampling counts it draws and reuses
    them for every later call with the same seed, number of resamples and number of units.

    The counts are a function of (seed, n_boot, n_units) only, so a report that bootstraps many
    statistics over the same targets draws them once instead of once per statistic; every
    interval is the one a separate call gives. Only integer seeds are shared (``seed=None``
    means fresh draws each call), and at most about 128 MB of counts are kept (the oldest are
    dropped first).
    """
    token = _SHARED.set(OrderedDict())
    try:
        yield
    finally:
        _SHARED.reset(token)


def _shared_counts(seed, n_boot: int, n_units: int) -> np.ndarray | None:
    """The resampling counts as units x replicates (small unsigned integers), drawn once per
    (seed, n_boot, n_units) inside `shared_resamples`; None outside it or for a seed that is not
    an integer. The draws are `additive_bootstrap`'s own, chunk by chunk from ``default_rng(seed)``."""
    shared = _SHARED.get()
    if shared is None or not isinstance(seed, (int, np.integer)) or n_boot * n_units > _SHARED_BYTES:
        return None
    key = (int(seed), n_boot, n_units)
    if key not in shared:
        rng, counts = np.random.default_rng(seed), np.empty((n_units, n_boot), dtype=np.uint8)
        chunk = max(1, min(n_boot, _CHUNK_CELLS // n_units))
        for start in range(0, n_boot, chunk):
            w = _weights(rng, min(chunk, n_boot - start), n_units)
            if w.dtype != counts.dtype:
                counts = counts.astype(w.dtype)
            counts[:, start:start + len(w)] = w.T
        shared[key] = counts
        while sum(c.nbytes for c in shared.values()) > _SHARED_BYTES and len(shared) > 1:
            shared.popitem(last=False)
    shared.move_to_end(key)
    return shared[key]


def _patterns(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(distinct rows, the units sorted by row, where each distinct row's units start and end in
    that order) when the units' feature rows take few distinct values (a unit's coincidences
    over a handful of categories), else None. Rows are grouped by their bits: a hash of the
    float64 words (each word mixed, the row's words weighted and summed modulo 2**64), checked
    row by row."""
    n_units = feats.shape[0]
    if n_units < 1000 or not np.isfinite(feats).all():
        return None
    key = (_mix(np.ascontiguousarray(feats).view(np.uint64)) * _odd(feats.shape[1])).sum(axis=1)
    order = np.argsort(key)
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    if len(starts) * _FEW_PATTERNS > n_units:
        return None
    rows, bounds = feats[order[starts]], np.r_[starts, n_units]
    if not np.array_equal(np.repeat(rows, np.diff(bounds), axis=0), feats[order]):
        return None  # two different rows with one key: do not group
    return rows, order, bounds


def _groups(rows: np.ndarray, unit_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """`_patterns` for units given as indices into distinct ``rows``."""
    n_units = len(unit_rows)
    if n_units < 1000 or len(rows) * _FEW_PATTERNS > n_units:
        return None
    # a radix sort of 16-bit indices when they fit
    order = np.argsort(unit_rows.astype(np.int16) if len(rows) < 2 ** 15 else unit_rows, kind="stable")
    return rows, order, np.r_[0, np.cumsum(np.bincount(unit_rows, minlength=len(rows)))]


def _mix(words: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer (Steele, Lea & Flood 2014) on each word: every bit of a word
    reaches every bit of its hash, so floats with few mantissa bits (0.25, 1.5) spread too."""
    z, shifted = words >> np.uint64(30), np.empty_like(words)
    z ^= words
    for shift, factor in ((27, 0xBF58476D1CE4E5B9), (31, 0x94D049BB133111EB)):
        z *= np.uint64(factor)
        np.right_shift(z, np.uint64(shift), out=shifted)
        z ^= shifted
    return z


def _odd(p: int) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 2 ** 63, size=p, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


def _sums_from_counts(counts: np.ndarray, feats: np.ndarray, unit_rows: np.ndarray | None = None) -> np.ndarray:
    """replicates x p: each replicate's column sums of ``feats`` (``counts``: units x replicates).
    With few distinct feature rows, the counts are first summed (in integers, exactly) over the
    units of each distinct row, so the pass over the counts is one integer sum per unit and
    replicate whatever the number of features; the product with the distinct rows is small.
    With ``unit_rows``, ``feats`` are the distinct rows already (`additive_bootstrap`)."""
    n_units, n_boot = counts.shape
    step = max(1, _CHUNK_CELLS // (4 * n_units))
    grouped = _patterns(feats) if unit_rows is None else _groups(feats, unit_rows)
    if grouped is None and unit_rows is not None:
        feats = feats[unit_rows]
    if grouped is None:
        return np.vstack([(feats.T @ counts[:, i:i + step].astype(float)).T for i in range(0, n_boot, step)])
    return _sums_by_row(counts, *grouped)


def _sums_by_row(counts: np.ndarray, rows: np.ndarray, order: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """replicates x p: the resampling counts summed over each distinct row's units
    (``order[bounds[k]:bounds[k + 1]]``, exactly, in unsigned integers), times the rows.

    A row of many units is summed a buffer of its units at a time; the rows of few units are
    added up member by member, a block of such rows at once. The buffers are reused (fresh
    memory costs page faults), and thousands of rare rows cost a few array operations."""
    n_boot, sizes = counts.shape[1], np.diff(bounds)
    acc = np.uint32 if counts.dtype == np.uint8 else np.int64
    common = np.flatnonzero(sizes > _FEW_MEMBERS)
    per_row = np.zeros((len(common), n_boot), dtype=acc)
    block_sum = np.empty(n_boot, dtype=np.uint16 if counts.dtype == np.uint8 else acc)
    taken = np.empty((max(1, min(int(sizes.max()), _BUFFER_CELLS // n_boot)), n_boot), dtype=counts.dtype)
    slab = _U16_ROWS if counts.dtype == np.uint8 else len(taken)
    for i, k in enumerate(common):  # each row's units gathered a buffer at a time
        for start in range(bounds[k], bounds[k + 1], len(taken)):
            units = order[start:min(start + len(taken), bounds[k + 1])]
            np.take(counts, units, axis=0, out=taken[:len(units)])
            for at in range(0, len(units), slab):  # uint8 counts: in 16 bits, exactly, without widening
                per_row[i] += np.add.reduce(taken[at:min(at + slab, len(units))], axis=0,
                                            dtype=block_sum.dtype, out=block_sum)
    sums = per_row.T.astype(float) @ rows[common]
    rare = np.flatnonzero(sizes <= _FEW_MEMBERS)
    if not len(rare):
        return sums
    rare = rare[np.argsort(-sizes[rare], kind="stable")]  # largest first: each member's rows a prefix
    height = max(1, _BUFFER_CELLS // n_boot)
    summed = np.empty((min(height, len(rare)), n_boot), dtype=acc)
    for start in range(0, len(rare), height):
        block = rare[start:start + height]
        part = summed[:len(block)]
        part[...] = 0
        for member in range(sizes[block[0]]):
            n_rows = int(np.searchsorted(-sizes[block], -member, side="left"))  # more than `member` units
            part[:n_rows] += counts[order[bounds[block[:n_rows]] + member]]
        sums += part.T.astype(float) @ rows[block]
    return sums


def _interval(replicates: np.ndarray, estimate: float, confidence: float, method: str,
              jackknife: np.ndarray | None = None) -> tuple[float, float]:
    reps = replicates[np.isfinite(replicates)]
    if len(reps) < 0.9 * len(replicates):
        raise ValueError("More than 10% of bootstrap replicates were undefined; the sample is "
                         "too small or too degenerate for a bootstrap interval.")
    a = 1 - confidence
    if method == "percentile":
        lo, hi = np.quantile(reps, [a / 2, 1 - a / 2])
        return float(lo), float(hi)
    # BCa (Efron 1987): bias correction z0 and acceleration from the jackknife.
    prop = (np.sum(reps < estimate) + 0.5 * np.sum(reps == estimate)) / len(reps)
    if prop <= 0 or prop >= 1:
        raise ValueError("Every bootstrap replicate lies on one side of the estimate; the BCa "
                         "interval is undefined.")
    z0 = stats.norm.ppf(prop)
    jk = jackknife[np.isfinite(jackknife)]
    d = jk.mean() - jk
    denom = 6.0 * (np.sum(d ** 2)) ** 1.5
    acc = float(np.sum(d ** 3) / denom) if denom > 0 else 0.0
    z = stats.norm.ppf([a / 2, 1 - a / 2])
    adj = stats.norm.cdf(z0 + (z0 + z) / (1 - acc * (z0 + z)))
    lo, hi = np.quantile(reps, adj)
    return float(lo), float(hi)


def additive_bootstrap(features: np.ndarray, statistic: Callable[[np.ndarray], np.ndarray], *,
                       n_boot: int = 2000, confidence: float = 0.95, seed: int | None = 0,
                       method: BootMethod = "percentile",
                       clusters: np.ndarray | None = None,
                       unit_rows: np.ndarray | None = None) -> tuple[float, float]:
    """Vectorised bootstrap for statistics that are functions of sums over units.

    ``features`` is units x p; ``statistic`` maps a (replicates x p) array of column sums to
    one value per replicate. Resampling units with replacement is then a matrix product of
    resampling counts with ``features``. ``clusters`` (one label per unit) resamples whole
    clusters instead of units. With ``unit_rows`` (one index per unit), ``features`` holds
    distinct rows and unit i's features are ``features[unit_rows[i]]`` (units with equal
    features share a row): the resamples shared by `shared_resamples` are then summed per row
    without comparing the units' rows.
    """
    check_conf(confidence)
    check_level(method, ("percentile", "bca"), "method")
    if n_boot < 1:
        raise ValueError(f"n_boot must be positive, got {n_boot}.")
    feats = np.asarray(features, dtype=float)
    unit_rows = None if unit_rows is None else np.asarray(unit_rows, dtype=np.intp)
    if clusters is not None:
        feats, unit_rows = (feats if unit_rows is None else feats[unit_rows]), None
        codes, _ = _factorize(clusters)
        agg = np.zeros((int(codes.max()) + 1, feats.shape[1]))
        np.add.at(agg, codes, feats)
        feats = agg
    total = feats.sum(axis=0) if unit_rows is None else \
        np.bincount(unit_rows, minlength=len(feats)).astype(float) @ feats
    n_units = feats.shape[0] if unit_rows is None else len(unit_rows)
    if n_units < 2:
        raise ValueError("The bootstrap needs at least two units (or clusters) to resample.")
    with one_blas_thread():  # thin products: BLAS's threads only wait for each other
        reps = _replicates(feats, unit_rows, statistic, n_boot, seed)
    estimate = float(statistic(total[None, :])[0])
    jack = None
    if method == "bca":
        feats = feats if unit_rows is None else feats[unit_rows]
        jack = np.concatenate([statistic(total[None, :] - feats[i:i + 10_000])
                               for i in range(0, n_units, 10_000)])
    return _interval(reps, estimate, confidence, method, jack)


def _replicates(feats: np.ndarray, unit_rows: np.ndarray | None, statistic, n_boot: int, seed) -> np.ndarray:
    """The statistic on each resample: from the shared counts when `shared_resamples` holds
    them, else drawn chunk by chunk."""
    n_units = feats.shape[0] if unit_rows is None else len(unit_rows)
    counts = _shared_counts(seed, n_boot, n_units)
    if counts is not None:
        return statistic(_sums_from_counts(counts, feats, unit_rows))
    feats = feats if unit_rows is None else feats[unit_rows]
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_boot, _CHUNK_CELLS // n_units))
    reps = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        rows = min(chunk, n_boot - start)
        reps[start:start + rows] = statistic(_weights(rng, rows, n_units) @ feats)
    return reps


def _factorize(labels) -> tuple[np.ndarray, np.ndarray]:
    uniq, codes = np.unique(np.asarray(labels), return_inverse=True)
    return codes.ravel(), uniq


def bootstrap_ci(data, statistic: Callable, *, n_boot: int = 2000, confidence: float = 0.95,
                 method: BootMethod = "bca", seed: int | None = 0,
                 clusters=None) -> BootstrapResult:
    r"""Bootstrap confidence interval for any statistic of per-target data.

    Rows of ``data`` (targets) are resampled with replacement; with ``clusters`` (one label
    per row, e.g. the patient whose sessions are the targets) whole clusters are resampled and
    all their rows kept together (cluster bootstrap; Davison & Hinkley 1997, sec. 3.8).
    Percentile: the a/2 and 1-a/2 quantiles of the replicates. BCa (Efron 1987): quantiles
    at :math:`\Phi(z_0 + (z_0 + z_a)/(1 - a(z_0 + z_a)))` with bias correction
    :math:`z_0 = \Phi^{-1}(\#\{\theta^* < \hat\theta\}/B)` and acceleration from the
    (cluster) jackknife.

    Parameters
    ----------
    data : array or DataFrame
        One row per target.
    statistic : callable
        Takes a subset of ``data`` (same type, rows resampled) and returns a float.
    n_boot : int
        Number of resamples.
    confidence : float
        Coverage of the interval.
    method : {"bca", "percentile"}
        Interval method.
    seed : int, optional
        Seed for ``numpy.random.default_rng``.
    clusters : sequence, optional
        One cluster label per row; whole clusters are resampled.

    Returns
    -------
    BootstrapResult
        ``estimate`` (the statistic on all data), ``ci_low``, ``ci_high``, ``n``, ``method``.

    References
    ----------
    Efron, B. (1987). Better bootstrap confidence intervals. JASA, 82(397), 171-185.
    Davison, A. C., & Hinkley, D. V. (1997). Bootstrap Methods and their Application.

    Examples
    --------
    >>> import numpy as np
    >>> res = bootstrap_ci(np.arange(20.0), np.mean, n_boot=500, method="percentile")
    >>> res.estimate, res.ci_low < 9.5 < res.ci_high
    (9.5, True)
    """
    check_conf(confidence)
    check_level(method, ("percentile", "bca"), "method")
    take = (lambda idx: data.iloc[idx]) if hasattr(data, "iloc") else \
        (lambda idx: np.asarray(data)[idx])
    n = len(data)
    if clusters is None:
        groups = [np.array([i]) for i in range(n)]
    else:
        if len(clusters) != n:
            raise ValueError("clusters must have one label per row of data.")
        codes, _ = _factorize(clusters)
        order = np.argsort(codes, kind="stable")
        groups = np.split(order, np.cumsum(np.bincount(codes))[:-1])
    g = len(groups)
    if g < 2:
        raise ValueError("The bootstrap needs at least two targets (or clusters).")
    rng = np.random.default_rng(seed)
    estimate = float(statistic(data))
    reps = np.empty(n_boot)
    for b in range(n_boot):
        pick = rng.integers(0, g, size=g)
        reps[b] = statistic(take(np.concatenate([groups[i] for i in pick])))
    jack = None
    if method == "bca":
        jack = np.array([statistic(take(np.concatenate(groups[:i] + groups[i + 1:])))
                         for i in range(g)], dtype=float) if clusters is not None else \
            np.array([statistic(take(np.delete(np.arange(n), i))) for i in range(n)])
    lo, hi = _interval(reps, estimate, confidence, method, jack)
    level = "clusters" if clusters is not None else "targets"
    return BootstrapResult(estimate=estimate, ci_low=lo, ci_high=hi, n=int(g),
                           n_boot=int(n_boot), standard_error=float(np.nanstd(reps, ddof=1)),
                           method=f"{method} bootstrap resampling {level}, {n_boot} resamples")
