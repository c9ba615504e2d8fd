"""The frames one report is computed from (`Data`): the read's long frames, their integer codes
and every measure's rows, so sections take a measure's scores, matrix or long frame without
comparing a string (issue 22)."""

import numpy as np
import pandas as pd

from . import frames
from .design import RaterOverlap, rating_design
from .long_codes import LongCodes, column_keys, group_positions


class Data:
    """The frames one report is computed from, and the study's rating design."""

    def __init__(self, study, version, cluster_field):
        self.study, self.version, self.spec = study, version, version.spec
        # codes: the frame's targets, raters and items as integers, for grouping without strings
        self.items, codes = frames.item_scores_frame_and_codes(study, instrument_version=version)
        self.targets = frames.targets_frame(study, cluster_field=cluster_field).set_index("target")
        self._score = self.items["score"].to_numpy(dtype=float)
        self._item_codes_and_rows(codes)
        self._scale_codes_and_rows(codes)
        # LLM sections select raters by Rater.kind: Anchor's own and imported outside judges alike.
        codes = self.item_codes
        kinds = pd.Series(self._rater_kinds, index=codes.r_names, dtype=object)
        self.humans = sorted(kinds[kinds == "human"].index)
        # Perturbed LLM raters (robustness runs) are compared with their base rater in
        # section 6 only; everywhere else "the LLM raters" are the unperturbed ones.
        self.perturbed = frames.perturbations(self.study, sorted(kinds[kinds == "llm"].index))
        self.llms = sorted(r for r in kinds[kinds == "llm"].index if r not in self.perturbed)
        self.rating_pairs = {kind: RaterOverlap.of_codes(codes.t_codes[of_kind], codes.r_codes[of_kind],
                                                         codes.t_names, codes.r_names)
                             for kind in ("human", "llm")
                             for of_kind in [(kinds.to_numpy() == kind)[codes.r_codes]]}
        self.overlap = self.rating_pairs["human"]
        self.design = rating_design(study.rating_design, None, overlap=self.overlap)
        self.crossed = self.design["design"] == "crossed"
        self._matrices, self._long = {}, {}

    def _item_codes_and_rows(self, codes: frames.ItemCodes | None) -> None:
        """Integer codes of the item frame's targets and raters and the rows of every (item, kind),
        once: no string comparison per measure and section, no pivot per matrix (long_codes.py).
        From the read's codes when it gives them, else by factorizing the frame's strings."""
        if codes is None:
            self.item_codes = LongCodes.of_frame(self.items)
            self._rater_kinds = self._first_kinds()
            keys = column_keys(self.items, ["item", "rater_kind"])
        else:
            self.item_codes = LongCodes.of_codes(codes.target, codes.targets, codes.rater, codes.raters)
            # the read's rater names are distinct and sorted, so its rater codes are the frame's
            rater_kind, kind_names = pd.factorize(codes.kinds, sort=True)
            self._rater_kinds = (np.asarray(codes.kinds, dtype=object) if self.item_codes.r_codes is codes.rater
                                 else self._first_kinds())  # repeated or unsorted rater names
            keys = [(codes.item, codes.items), (rater_kind[codes.rater], kind_names)]
        self._item_rows = group_positions(keys) if len(self.items) else {}

    def _first_kinds(self) -> np.ndarray:
        """Each rater's kind (of its first row)."""
        first = np.full(len(self.item_codes.r_names), len(self.items), dtype=np.int64)
        np.minimum.at(first, self.item_codes.r_codes, np.arange(len(self.items)))
        return self.items["rater_kind"].to_numpy()[first]

    def _scale_codes_and_rows(self, codes: frames.ItemCodes | None) -> None:
        """The scale scores' codes and the rows of every (scale, kind, basis), with the values
        those rows index: the long frame's rows and score column, or, from the read's codes, the
        ratings and one (scale, basis) column of `frames.ScaleScores` (the frame is made only
        when a section asks for it)."""
        if codes is None:
            self._scales, self._scale_arrays = frames.scale_scores_frame(self.items, spec=self.spec), None
            self.scale_codes = LongCodes.of_frame(self._scales)
            score = self._scales["score"].to_numpy(dtype=float)
            rows = group_positions(column_keys(self._scales, ["scale", "rater_kind", "basis"])) \
                if len(self._scales) else {}
            self._scale_rows = {key: (positions, score) for key, positions in rows.items()}
            return
        self._scales, scores = None, frames.scale_score_arrays(self.items, spec=self.spec, codes=codes)
        self._scale_arrays = scores
        self.scale_codes = LongCodes.of_codes(scores.target, scores.targets, scores.rater, scores.raters)
        self._scale_rows = {(scale, kind, basis): (ratings, scores.score[b, s])
                            for (kind,), ratings in group_positions([(scores.kind, scores.kinds)]).items()
                            for b, basis in enumerate(scores.bases) for s, scale in enumerate(scores.scales)}

    @property
    def scales(self) -> pd.DataFrame:
        """The long frame of scale scores (`frames.scale_scores_frame`)."""
        if self._scales is None:
            self._scales = self._scale_arrays.frame()
        return self._scales

    def item_rows(self, code: str, kind: str) -> pd.DataFrame:
        """The item scores of one item by raters of one kind (in the frame's order)."""
        rows = self._item_rows.get((code, kind))
        return self.items.iloc[:0] if rows is None else self.items.iloc[rows]

    def item_positions(self, kind: str) -> dict[str, np.ndarray]:
        """Item code -> positions in ``items`` of that item's scores by raters of one kind."""
        return {code: rows for (code, of_kind), rows in self._item_rows.items() if of_kind == kind}

    def answered_per_rating(self) -> np.ndarray:
        """The number of distinct items in each human rating (target, rater) that has any."""
        codes, n_r = self.item_codes, len(self.item_codes.r_names)
        answered = np.zeros(len(codes.t_names) * n_r, dtype=np.int64)
        for rows in self.item_positions("human").values():
            cells = codes.t_codes[rows].astype(np.int64) * n_r + codes.r_codes[rows]
            answered += np.bincount(cells, minlength=len(answered)) > 0
        return answered[answered > 0]

    def scale_rows(self, scale: str, kind: str, basis: str) -> pd.DataFrame:
        """The scale scores of one scale, rater kind and basis (in the frame's order)."""
        scales = self.scales
        if (scale, kind, basis) not in self._scale_rows:
            return scales.iloc[:0]
        return scales.iloc[self._scale_frame_rows(scale, kind, basis)]

    def _scale_frame_rows(self, scale: str, kind: str, basis: str) -> np.ndarray:
        rows, scores = self._scale_rows[(scale, kind, basis)][0], self._scale_arrays
        if scores is None:  # the rows of the frame itself
            return rows
        return (rows * len(scores.bases) + scores.bases.index(basis)) * len(scores.scales) + scores.scales.index(scale)

    def _rows_and_values(self, kind_of: str, code: str, kind: str, basis: str) -> tuple[np.ndarray, np.ndarray]:
        """A measure's rows in its codes and the values (one per row of the codes) they index."""
        if kind_of == "item":
            rows = self._item_rows.get((code, kind), _NO_ROWS)
            return rows, (self._expected() if basis == "expected" else self._score)
        return self._scale_rows.get((code, kind, basis), (_NO_ROWS, self._score[:0]))

    def _expected(self) -> np.ndarray:
        """The expected score of every item score, the score where it has none."""
        if not hasattr(self, "_expected_score"):
            expected = self.items["expected_score"].to_numpy(dtype=float)
            self._expected_score = np.where(np.isnan(expected), self._score, expected)
        return self._expected_score

    def item_matrix(self, code: str, *, kind: str = "human", column: str = "score") -> pd.DataFrame:
        rows = self._item_rows.get((code, kind), _NO_ROWS)
        return self.item_codes.wide(rows, self.items[column].to_numpy(dtype=float))

    def scale_matrix(self, scale: str, *, kind: str = "human", basis: str = "mode") -> pd.DataFrame:
        rows, values = self._rows_and_values("scale", scale, kind, basis)
        return self.scale_codes.wide(rows, values)

    def measures(self):
        """(kind, code, level) of every item and scale score, in instrument order."""
        for item in self.spec.items:
            yield "item", item.code, item.scale.level
        for subscale in self.spec.subscales:
            yield "scale", subscale.code, "interval"

    def score_measures(self) -> list[tuple[str, str]]:
        """The scores sections 2, 5 and the plots work on: the subscales, or, for an instrument
        without subscales, its items."""
        if self.spec.subscales:
            return [("scale", s.code) for s in self.spec.subscales]
        return [("item", item.code) for item in self.spec.items if item.scale.level != "nominal"]

    def _scored(self, kind_of: str, code: str, kind: str, basis: str) -> tuple[np.ndarray, np.ndarray, LongCodes]:
        """A measure's rows with a score, their scores and the codes the rows index."""
        rows, values = self._rows_and_values(kind_of, code, kind, basis)
        values = values if len(rows) == len(values) else values[rows]  # rows: distinct, ascending
        scored = ~np.isnan(values)
        return rows[scored], values[scored], self.item_codes if kind_of == "item" else self.scale_codes

    def long(self, kind_of: str, code: str, *, kind: str = "human", basis: str = "mode") -> pd.DataFrame:
        """(target, rater, score) of one measure, missing scores dropped (the item's score where
        the expected basis has no expected score)."""
        key = (kind_of, code, kind, basis)
        if key not in self._long:  # the last measure's only: sections go measure by measure
            rows, values, codes = self._scored(kind_of, code, kind, basis)
            # taken from the names' own (string) arrays: no string checked again per row
            self._long = {key: pd.DataFrame({"target": codes.t_names.array.take(codes.t_codes[rows]),
                                             "rater": codes.r_names.array.take(codes.r_codes[rows]),
                                             "score": values})}
        return self._long[key]

    def n_scored(self, kind_of: str, code: str, *, kind: str = "human", basis: str = "mode") -> int:
        """The number of rows of `long` (without making the frame)."""
        rows, values = self._rows_and_values(kind_of, code, kind, basis)
        values = values if len(rows) == len(values) else values[rows]
        return int(len(values) - np.isnan(values).sum())

    def human_scores(self, kind_of: str, code: str) -> np.ndarray:
        """The human scores of one measure (the long frame's ``score``)."""
        return self._scored(kind_of, code, "human", "mode")[1]

    def human_mean(self, kind_of: str, code: str) -> pd.Series:
        """Each target's mean human score of one measure (pandas' grouped mean, here grouped by
        the targets' codes: its rounding decides ties in the ranks of Spearman's rho, so it is not
        recomputed another way)."""
        rows, values, codes = self._scored(kind_of, code, "human", "mode")
        t_codes = codes.t_codes[rows]
        mean = pd.Series(values).groupby(t_codes, sort=True).mean()
        return pd.Series(mean.to_numpy(), index=pd.Index(codes.t_names[mean.index.to_numpy()], name="target"),
                         name="score")

    def matrix(self, kind_of: str, code: str, *, kind="human", basis="mode") -> pd.DataFrame:
        key = (kind_of, code, kind, basis)
        if key not in self._matrices:
            self._matrices[key] = self._matrix(kind_of, code, kind=kind, basis=basis)
        return self._matrices[key]

    def _matrix(self, kind_of: str, code: str, *, kind: str, basis: str) -> pd.DataFrame:
        if kind_of == "item":
            return self.item_matrix(code, kind=kind,
                                    column="expected_score" if basis == "expected" else "score")
        return self.scale_matrix(code, kind=kind, basis=basis)


_NO_ROWS = np.empty(0, dtype=np.int64)
