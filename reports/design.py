"""The rating design of a study's human panel: declared, or inferred from who rated what.

Two designs (``Study.rating_design``):

- **crossed**: the same raters rate the targets (gaps allowed). Rater effects can be
  estimated, the two-way ICC forms fit (ICC(A,1), ICC(C,1), ICC(A,k)), and a pair of raters
  who share targets can be compared.
- **one-way**: each target is rated by its own set of interchangeable raters (reviewers of a
  paper, crowd workers drawn per story, ids that are slots ``h1 h2 h3``). There is no rater
  effect; ICC(1) and ICC(1,k) fit; rater pairs mean nothing and are not shown.

Inference rule (used when the study declares no design). Two ratings of the same target by
raters a and b form a *within-target pair*. The pair is *linked* when a and b have rated at
least ``min(MIN_SHARED_TARGETS, number of targets)`` targets in common. The design is inferred
**crossed** when at least ``CROSSED_SHARE`` (half) of the within-target pairs are linked, and
**one-way** otherwise: a rater effect can only be separated from target differences through
raters who meet again on other targets. Slot ids over every target look crossed in the data;
only a declaration can say that they are slots.

Everything here is computed from the (target, rater) pairs with sparse matrices, so the cost
grows with the number of ratings, never with the square of the number of raters.
"""

import numpy as np
import pandas as pd
from scipy import sparse

from .long_codes import present_codes

MIN_SHARED_TARGETS = 10
"""A pair of raters is compared (kappa, pair ICC, heat map) only on at least this many shared
targets (fewer when the study has fewer targets); below that a pair coefficient's interval
spans most of its range."""
CROSSED_SHARE = 0.5
MAX_LISTED_PAIRS = 28
"""Up to this many rater pairs (8 raters) are listed one by one; beyond, as a distribution."""

RULE = (f"a pair of raters who rated the same target is linked when they share at least "
        f"{MIN_SHARED_TARGETS} targets (all targets when the study has fewer); the design is "
        f"inferred crossed when at least {CROSSED_SHARE:.0%} of the within-target rater pairs are "
        "linked, one-way otherwise")
DECLARE = "Declare it with `manage.py set_rating_design STUDY crossed|one-way` (or on the study's page)."


class RaterOverlap:
    """Who rated what: the targets x raters incidence and the raters x raters shared counts."""

    def __init__(self, pairs: pd.DataFrame):
        pairs = pairs[["target", "rater"]].drop_duplicates()
        t_codes, targets = pd.factorize(pairs["target"], sort=True)
        r_codes, raters = pd.factorize(pairs["rater"], sort=True)
        self._count(t_codes, targets, r_codes, raters)

    @classmethod
    def of_codes(cls, t_codes: np.ndarray, r_codes: np.ndarray, targets: pd.Index, raters: pd.Index) -> "RaterOverlap":
        """The overlap of ratings given as integer codes into sorted ``targets`` and ``raters``
        (repeats allowed): the same as ``RaterOverlap(pairs)`` of their names, without hashing a
        string per rating."""
        n_r = len(raters)
        cells = np.flatnonzero(np.bincount(t_codes.astype(np.int64) * n_r + r_codes, minlength=len(targets) * n_r))
        (t, t_present), (r, r_present) = present_codes(cells // n_r, len(targets)), present_codes(cells % n_r, n_r)
        overlap = cls.__new__(cls)
        overlap._count(t, pd.Index(targets[t_present]), r, pd.Index(raters[r_present]))
        return overlap

    def _count(self, t_codes, targets, r_codes, raters):
        self.t_codes, self.targets, self.r_codes, self.raters = t_codes, targets, r_codes, raters
        n_t, n_r = len(self.targets), len(self.raters)
        incidence = sparse.csr_matrix((np.ones(len(t_codes)), (t_codes, r_codes)), shape=(n_t, n_r))
        self.incidence = incidence
        self.shared = (incidence.T @ incidence).tocsr()  # raters x raters, diagonal = targets per rater
        self.per_target = np.asarray(incidence.sum(axis=1)).ravel()
        self.per_rater = self.shared.diagonal()

    @property
    def threshold(self) -> int:
        return max(2, min(MIN_SHARED_TARGETS, len(self.targets)))

    def within_target_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Rater codes (a < b) of every pair of ratings of the same target."""
        frame = pd.DataFrame({"t": self.t_codes, "r": self.r_codes})
        both = frame.merge(frame, on="t")
        both = both[both["r_x"] < both["r_y"]]
        return both["r_x"].to_numpy(), both["r_y"].to_numpy()

    def linked_share(self) -> tuple[int, float | None]:
        """Within-target rater pairs, and the share of them whose raters are linked. Raters a
        and b form ``shared[a, b]`` within-target pairs (one per target both rated), so both
        are sums over the shared counts (no pair of ratings is listed)."""
        upper = sparse.triu(self.shared, k=1).tocoo()
        n_pairs = int(upper.data.sum())
        if not n_pairs:
            return 0, None
        return n_pairs, float(upper.data[upper.data >= self.threshold].sum() / n_pairs)

    def comparable_pairs(self) -> list[tuple[str, str, int]]:
        """Rater pairs sharing at least ``threshold`` targets: (a, b, shared), a < b."""
        upper = sparse.triu(self.shared, k=1).tocoo()
        keep = upper.data >= self.threshold
        return [(str(self.raters[i]), str(self.raters[j]), int(s))
                for i, j, s in zip(upper.row[keep], upper.col[keep], upper.data[keep])]

    def n_sharing_pairs(self) -> int:
        return int(sparse.triu(self.shared, k=1).nnz)


def _spread(values: np.ndarray) -> dict:
    if not len(values):
        return {"min": None, "median": None, "max": None}
    return {"min": int(values.min()), "median": float(np.median(values)), "max": int(values.max())}


def rating_design(declared: str, pairs: pd.DataFrame | None, *, overlap: RaterOverlap | None = None) -> dict:
    """The human panel's design: declared (``Study.rating_design``) or inferred by `RULE` from
    ``pairs`` (one row per human rating: target, rater) or their ``overlap``, stated in words,
    with the overlap figures the rule uses."""
    overlap = overlap if overlap is not None else RaterOverlap(pairs)
    n_pairs, share = overlap.linked_share()
    inferred = None if share is None else ("crossed" if share >= CROSSED_SHARE else "one-way")
    design = declared or inferred
    out = {"design": design, "source": "declared" if declared else "inferred",
           "inferred": inferred, "rule": RULE,
           "min_shared_targets": overlap.threshold, "n_targets": int(len(overlap.targets)),
           "n_raters": int(len(overlap.raters)), "n_ratings": int(len(overlap.t_codes)),
           "ratings_per_target": _spread(overlap.per_target),
           "targets_per_rater": _spread(overlap.per_rater),
           "within_target_pairs": n_pairs, "linked_share": share,
           "comparable_rater_pairs": len(overlap.comparable_pairs()) if design == "crossed" else None,
           "rater_pairs_sharing_targets": overlap.n_sharing_pairs(), "warnings": []}
    out["statement"] = _statement(out)
    if declared and inferred and declared != inferred:
        out["warnings"].append(
            f"The study declares a {declared} design, but by the inference rule the ratings look "
            f"{inferred} ({_share_words(out)}). The declared design is used."
            + (" In a crossed design with little overlap the rater effect rests on few shared targets."
               if declared == "crossed" else " Rater ids are treated as labels with no identity."))
    return out


def _share_words(out: dict) -> str:
    if out["linked_share"] is None:
        return "no target has two human ratings"
    return (f"{out['linked_share']:.0%} of {out['within_target_pairs']:,} within-target rater pairs "
            f"share at least {out['min_shared_targets']} targets")


def _statement(out: dict) -> str:
    per = out["ratings_per_target"]
    size = (f"{out['n_targets']:,} targets, {out['n_raters']:,} human raters, "
            f"{per['min']}-{per['max']} ratings per target (median {per['median']:g})"
            if per["min"] is not None else "no human ratings")
    if out["design"] is None:
        return (f"No target has two human ratings ({size}), so the rating design cannot be told and no "
                "inter-rater statistic is computed.")
    how = ("declared by the study" if out["source"] == "declared"
           else f"inferred from the ratings ({_share_words(out)}; rule: {out['rule']}). {DECLARE}")
    if out["design"] == "one-way":
        return (f"One-way design: each target is rated by its own set of raters, who are treated as "
                f"interchangeable; no rater effect is estimated and no pair of raters is compared "
                f"({size}). Leading forms: ICC(1) and ICC(1,k). Design {how}")
    crossed = ("every rater rated every target" if per["min"] == per["max"] == out["n_raters"]
               else "not every rater rated every target")
    slots = (" If the rater ids are slots (h1, h2, h3 per target) rather than the same people, declare the "
             "design one-way." if out["source"] == "inferred" else "")
    return (f"Crossed design: the same raters rate the targets ({crossed}; {size}); rater effects are "
            f"estimated. Leading forms: ICC(A,1), ICC(C,1), ICC(A,k). Design {how}{slots}")
