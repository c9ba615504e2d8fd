"""The selection rule, stated as data, and the ranking it applies to a training sample."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ._matrix import corr_with, covariance, to_correlation
from .item_analysis import corrected_item_total, one_factor_loadings

RankBy = Literal["loading", "item_total"]
Direction = Literal["any", "positive", "negative"]
KChoice = Literal["max_validity", "omega_target"]


@dataclass(frozen=True, slots=True)
class SelectionRule:
    """How a short scale is chosen from a pool; recorded with every scale it produces.

    Screening drops items answered for less than ``1 - max_missing_share`` of the targets and
    items with more than ``max_floor_ceiling_share`` of their answers at one end of the scale.
    Items are keyed by the sign of their loading on one factor of the training sample (an item
    loading negatively is reversed). When ``criterion`` is named, only items whose keyed
    correlation with it passes ``min_abs_criterion_r`` in ``criterion_direction`` ("any": |r|,
    "positive": r, "negative": -r) stay. The survivors are ranked by |loading| (or by corrected
    item-total correlation of the keyed items) and the first ``k`` form the scale.

    ``k=None`` lets the procedure choose k in ``k_min..k_max`` from the cross-validated curve:
    "max_validity" takes the k with the largest mean |r| with the criterion on the test folds,
    "omega_target" the smallest k whose mean test-fold omega total reaches ``omega_target``
    (else the k with the highest).
    """

    k: int | None = None
    criterion: str | None = None
    rank_by: RankBy = "loading"
    min_abs_criterion_r: float = 0.0
    criterion_direction: Direction = "any"
    max_missing_share: float = 0.2
    max_floor_ceiling_share: float = 1.0
    choose_k: KChoice = "max_validity"
    k_min: int = 3
    k_max: int = 20
    omega_target: float = 0.9

    def __post_init__(self):
        if self.k is not None and self.k < 2:
            raise ValueError(f"k must be at least 2 items, got {self.k}.")
        if self.rank_by not in ("loading", "item_total"):
            raise ValueError(f"rank_by must be 'loading' or 'item_total', got {self.rank_by!r}.")
        if self.criterion_direction not in ("any", "positive", "negative"):
            raise ValueError("criterion_direction must be 'any', 'positive' or 'negative', "
                             f"got {self.criterion_direction!r}.")
        if self.choose_k not in ("max_validity", "omega_target"):
            raise ValueError(f"choose_k must be 'max_validity' or 'omega_target', got {self.choose_k!r}.")
        if not 2 <= self.k_min <= self.k_max:
            raise ValueError(f"need 2 <= k_min <= k_max, got {self.k_min} and {self.k_max}.")
        for name in ("min_abs_criterion_r", "max_missing_share", "max_floor_ceiling_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {getattr(self, name)!r}.")
        if self.k is None and self.choose_k == "max_validity" and self.criterion is None:
            raise ValueError("Choosing k by validity needs a criterion: name one, give k, or "
                             "choose k by omega_target.")
        if self.min_abs_criterion_r > 0 and self.criterion is None:
            raise ValueError("min_abs_criterion_r needs a criterion to correlate with.")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SelectionRule":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown selection rule field(s) {unknown}; known: {sorted(known)}.")
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Ranking:
    """Eligible items of one sample in rank order, with every item's key (+1 or -1)."""

    order: np.ndarray
    signs: np.ndarray

    def take(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        items = self.order[:k]
        return items, self.signs[items]


def rank_items(x: np.ndarray, y: np.ndarray | None, rule: SelectionRule,
               bounds: tuple[np.ndarray, np.ndarray] | None = None,
               answers: np.ndarray | None = None) -> Ranking:
    """Apply ``rule``'s screening, keying and ranking to a targets x items sample ``x``.

    Items failing the missing-share, floor/ceiling or constant screens are dropped; the rest are
    keyed by the sign of their one-factor (minres) loading, filtered by the criterion rule and
    ranked by |loading| or corrected item-total correlation (see `SelectionRule`). Fewer than
    three eligible items give an empty ranking (no factor to key them by).

    Parameters
    ----------
    x : ndarray
        Targets x items, NaN for a missing answer.
    y : ndarray or None
        The selection criterion per target (None: no criterion screen).
    rule : SelectionRule
        The screening, keying and ranking to apply.
    bounds : (ndarray, ndarray), optional
        Each item's scale minimum and maximum, for the floor/ceiling screen.
    answers : ndarray, optional
        The scale points counted for the floor/ceiling screen (default ``x``).

    Returns
    -------
    Ranking
        ``order`` (eligible item columns, strongest first) and ``signs`` (+1/-1 per item).

    References
    ----------
    Clark, L. A., & Watson, D. (1995). Constructing validity: Basic issues in objective scale
    development. Psychological Assessment, 7(3), 309-319.

    Examples
    --------
    Item 3 is reverse-worded (loads negatively) and is keyed -1:

    >>> import numpy as np
    >>> x = np.array([[1, 2, 2, 5], [2, 3, 3, 4], [3, 3, 4, 3], [4, 5, 4, 2], [5, 4, 5, 1]],
    ...              dtype=float)
    >>> ranking = rank_items(x, None, SelectionRule(k=2))
    >>> ranking.order.tolist(), ranking.signs.tolist()
    ([0, 3, 2, 1], [1.0, 1.0, 1.0, -1.0])
    """
    answered = ~np.isnan(x)
    n = answered.sum(axis=0)
    keep = n >= (1 - rule.max_missing_share) * x.shape[0]
    if rule.max_floor_ceiling_share < 1 and bounds is not None:
        low, high = bounds
        with np.errstate(invalid="ignore", divide="ignore"):
            a = x if answers is None else answers
            share = np.maximum((a == low).sum(axis=0), (a == high).sum(axis=0)) / n
        keep &= share <= rule.max_floor_ceiling_share
    c = covariance(x)
    var = np.diag(c)
    keep &= np.isfinite(var) & (var > 0)
    idx = np.nonzero(keep)[0]
    signs = np.ones(x.shape[1])
    if len(idx) < 3:
        return Ranking(order=idx[:0], signs=signs)
    cu = c[np.ix_(idx, idx)]
    loading = one_factor_loadings(to_correlation(cu))
    signs[idx] = np.where(loading < 0, -1.0, 1.0)
    s = signs[idx]
    strength = np.abs(loading) if rule.rank_by == "loading" else \
        corrected_item_total(cu * np.outer(s, s))
    eligible = np.isfinite(strength)
    if rule.criterion is not None and y is not None:
        r = corr_with(x[:, idx], y) * s
        passes = {"any": np.abs(r), "positive": r, "negative": -r}[rule.criterion_direction]
        eligible &= np.nan_to_num(passes, nan=-np.inf) >= rule.min_abs_criterion_r
    order = idx[eligible][np.argsort(-strength[eligible], kind="stable")]
    return Ranking(order=order, signs=signs)
