"""The report's numbers do not change with the fast frames and statistics (issue 22): the SQL read
into numpy arrays (plain scores packed into integers), the vectorised scale scores grouped by
integer codes, the integer-coded matrices, all rater pairs in one pass and the shared bootstrap
resamples give the same report, to 1e-12, as the straightforward
computation written here (the ORM's ``values_list`` into a frame, `subscale_scores` per rating,
pivots of the long frames, the two-rater functions pair by pair, one draw of resamples per
bootstrap), on the demo study and on a 10,000-target synthetic study imported through the real
import."""

import contextlib
import math

import numpy as np
import pandas as pd
import pytest

from instruments.selectors import instrument_version_get
from ratings.models import ItemScore, Rating
from ratings.services import study_get_or_create, study_use_instrument, targets_import
from ratings.services.ratings_import import ratings_import
from ratings.tabular import Row, read_rows
import psychometrics as pm
from reports import build, consistency_section, frames, reliability
from reports.build import study_report
from reports.design import RaterOverlap
from reports.stats import attempt, long_from_wide, pair_icc2


def reference_item_scores_frame(study, *, instrument_version) -> pd.DataFrame:
    """The frame as first written: one ORM query, every value a Python object."""
    rows = (ItemScore.objects
            .filter(rating__target__study=study, rating__instrument_version=instrument_version,
                    rating__status=Rating.Status.SUBMITTED)
            .values_list("rating__target__external_id", "rating__rater__name", "rating__rater__kind",
                         "item__code", "score", "expected_score", "distribution"))
    frame = pd.DataFrame(list(rows), columns=frames.ITEM_COLUMNS)
    frame["score"] = frame["score"].astype(float)
    frame["expected_score"] = pd.to_numeric(frame["expected_score"], errors="coerce")
    return frame


def reference_scale_scores_frame(items: pd.DataFrame, *, spec) -> pd.DataFrame:
    """`subscale_scores` per (target, rater), ordered by target, rater, kind (stable)."""
    frame = frames.scale_scores_frame_reference(items, spec=spec)
    return frame.sort_values(["target", "rater", "rater_kind"], kind="mergesort", ignore_index=True)


def assert_same(fast, slow, path="report"):
    if isinstance(slow, dict):
        assert isinstance(fast, dict) and list(fast) == list(slow), path
        for key in slow:
            if key != "generated_at":
                assert_same(fast[key], slow[key], f"{path}.{key}")
    elif isinstance(slow, list):
        assert isinstance(fast, list) and len(fast) == len(slow), path
        for n, (a, b) in enumerate(zip(fast, slow)):
            assert_same(a, b, f"{path}[{n}]")
    elif isinstance(slow, float) and not isinstance(slow, bool):
        assert isinstance(fast, (int, float)), path
        # 1e-12, relative above 1: an F near perfect agreement (124 in the demo) rests on a difference
        # of sums of squares whose own rounding, in the order the rows come, is about 1e-12 absolute
        assert (math.isnan(fast) and math.isnan(slow)) or abs(fast - slow) <= 1e-12 * max(1.0, abs(slow)), \
            (path, fast, slow)
    else:
        assert fast == slow, (path, fast, slow)


def reference_long(data, kind_of, code, *, kind="human", basis="mode"):
    """A measure's long frame by string comparisons over the frames."""
    if kind_of == "item":
        rows = data.items[(data.items["item"] == code) & (data.items["rater_kind"] == kind)]
        column = "expected_score" if basis == "expected" else "score"
        rows = rows.assign(score=rows[column].fillna(rows["score"]))
    else:
        scales = data.scales
        rows = scales[(scales["scale"] == code) & (scales["rater_kind"] == kind) & (scales["basis"] == basis)]
    return rows[["target", "rater", "score"]].dropna(subset=["score"])


def reference_item_matrix(data, code, *, kind="human", column="score"):
    """An item's matrix by pivoting its rows, found by string comparisons."""
    rows = data.items[(data.items["item"] == code) & (data.items["rater_kind"] == kind)]
    return frames.wide(rows[["target", "rater"]].assign(score=rows[column]), index="target", columns="rater")


def reference_scale_matrix(data, scale, *, kind="human", basis="mode"):
    """A scale's matrix by pivoting its rows, found by string comparisons."""
    scales = data.scales
    rows = scales[(scales["scale"] == scale) & (scales["rater_kind"] == kind) & (scales["basis"] == basis)]
    return frames.wide(rows[["target", "rater", "score"]], index="target", columns="rater")


def reference_human_mean(data, kind_of, code):
    """pandas' grouped mean over the target strings."""
    return data.long(kind_of, code).groupby("target")["score"].mean()


def reference_kappa_pairs(matrix, pairs, *, categories, weights):
    return reliability.pair_figures(long_from_wide(matrix), pairs, lambda x, y: attempt(
        lambda: pm.cohen_kappa(x, y, categories=categories, weights=weights)))


def reference_icc2_pairs(matrix, pairs):
    return reliability.pair_figures(long_from_wide(matrix), pairs, lambda a, b: {"ICC2": pair_icc2(a, b)})


def reference_human_item_matrix(data):
    humans = data.items[data.items["rater_kind"] == "human"]
    return consistency_section._keyed_item_matrix(data, humans, ["target", "rater"], "score")


def reference_overlap(cls, t_codes, r_codes, targets, raters):
    return cls(pd.DataFrame({"target": np.asarray(targets)[t_codes], "rater": np.asarray(raters)[r_codes]}))


def straightforward(patch):
    """Every fast path of the report's statistics replaced by the straightforward computation."""
    patch.setattr(frames, "item_scores_frame", reference_item_scores_frame)
    # no integer codes from the read: the scale scores group the frame's strings with pandas
    patch.setattr(frames, "item_scores_frame_and_codes", lambda study, *, instrument_version: (
        reference_item_scores_frame(study, instrument_version=instrument_version), None))
    patch.setattr(frames, "scale_scores_frame", lambda items, *, spec, codes=None: reference_scale_scores_frame(
        items, spec=spec))
    patch.setattr(build.Data, "long", lambda data, *args, **kwargs: reference_long(data, *args, **kwargs))
    patch.setattr(build.Data, "item_matrix", reference_item_matrix)
    patch.setattr(build.Data, "scale_matrix", reference_scale_matrix)
    patch.setattr(build.Data, "human_mean", reference_human_mean)
    patch.setattr(build.Data, "human_scores", lambda data, kind_of, code: data.long(kind_of, code)["score"].to_numpy())
    patch.setattr(RaterOverlap, "of_codes", classmethod(reference_overlap))
    patch.setattr(reliability, "kappa_pairs", reference_kappa_pairs)
    patch.setattr(reliability, "icc2_pair_figures", reference_icc2_pairs)
    patch.setattr(reliability, "whole_matrix", lambda long, wide: None)  # counts, slots, means from the long frame
    patch.setattr(consistency_section, "_human_item_matrix", reference_human_item_matrix)
    patch.setattr(build.Data, "answered_per_rating", lambda data: None)
    patch.setattr(build, "shared_resamples", contextlib.nullcontext)


def both_reports(study, version, monkeypatch, **options):
    fast = study_report(study, instrument_version=version, **options)
    with monkeypatch.context() as patch:
        straightforward(patch)
        slow = study_report(study, instrument_version=version, **options)
    return fast, slow


def assert_frames_equal(study, version):
    fast, codes = frames.item_scores_frame_and_codes(study, instrument_version=version)
    slow = reference_item_scores_frame(study, instrument_version=version)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    for column, code, names in (("target", codes.target, codes.targets), ("rater", codes.rater, codes.raters),
                                ("item", codes.item, codes.items)):
        assert list(names[code]) == list(slow[column]), column
    assert list(codes.kinds[codes.rater]) == list(slow["rater_kind"])
    reference = reference_scale_scores_frame(slow, spec=version.spec)
    pd.testing.assert_frame_equal(frames.scale_scores_frame(fast, spec=version.spec), reference, rtol=0, atol=1e-12)
    pd.testing.assert_frame_equal(frames.scale_scores_frame(fast, spec=version.spec, codes=codes), reference,
                                  rtol=0, atol=1e-12)


def test_demo_frames_and_report_equal_the_straightforward_computation(demo_study, monkeypatch):
    study, version = demo_study
    assert_frames_equal(study, version)
    fast, slow = both_reports(study, version, monkeypatch, cluster_field="patient", n_boot=50)
    assert_same(fast, slow)


def test_scale_scores_with_blank_answers_and_missing_expected_scores_equal_the_loop(demo_study):
    study, version = demo_study
    items = reference_item_scores_frame(study, instrument_version=version)
    items.loc[items.index[::5], "expected_score"] = np.nan
    items = items.drop(items.index[::3])  # below min_answered for some subscales
    pd.testing.assert_frame_equal(frames.scale_scores_frame(items, spec=version.spec),
                                  reference_scale_scores_frame(items, spec=version.spec), rtol=0, atol=1e-12)


def synthetic_study(n_targets: int, *, n_raters: int = 5):
    version = instrument_version_get(reference="therapy-engagement")
    study, _ = study_get_or_create(slug="identity-10k")
    study_use_instrument(study=study, version=version)
    rng = np.random.default_rng(22)
    truth = rng.normal(0, 1, n_targets)
    targets_import(study=study, fmt="jsonl", rows=[
        Row(i + 1, {"id": f"T{i:05d}", "text": f"t {i}", "criteria": {"outcome": float(truth[i] + rng.normal())}})
        for i in range(n_targets)])
    codes = [item.code for item in version.spec.items]
    human = ["target_id,rater_id,item,score"]
    judge = ["target_id,rater_id,item,score"]
    for t in range(n_targets):
        for r in range(n_raters):
            for code in codes:
                blank = rng.random() < 0.05  # unanswered items, some ratings below min_answered
                score = int(np.clip(np.rint(3 + truth[t] + rng.normal(0, 0.9)), 1, 5))
                human.append(f"T{t:05d},r{r},{code},{'' if blank else score}")
        for code in codes:
            judge.append(f"T{t:05d},judge,{code},{float(np.clip(3 + truth[t] + rng.normal(0, .4), 1, 5)):.6f}")
    ratings_import(study=study, rows=read_rows("\n".join(human) + "\n", "csv"), instrument="therapy-engagement")
    ratings_import(study=study, rows=read_rows("\n".join(judge) + "\n", "csv"), instrument="therapy-engagement",
                   rater_kind="llm", model="judge-x")
    return study, version


@pytest.mark.slow
def test_synthetic_10k_frames_and_report_equal_the_straightforward_computation(engagement, monkeypatch):
    study, version = synthetic_study(10_000)
    assert_frames_equal(study, version)
    fast, slow = both_reports(study, version, monkeypatch, n_boot=20)
    assert fast["n_targets"] == 10_000
    assert_same(fast, slow)
