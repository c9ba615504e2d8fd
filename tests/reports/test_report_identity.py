"""The report's numbers do not change with the fast frames (issue 22): the SQL read into numpy
arrays, the vectorised scale scores and the grouping by integer codes give the same report, to
1e-12, as the straightforward computation written here (the ORM's ``values_list`` into a frame,
`subscale_scores` per rating, pandas groupby on the strings), on the demo study and on a
10,000-target synthetic study imported through the real import."""

import math

import numpy as np
import pandas as pd
import pytest

from instruments.selectors import instrument_version_get
from ratings.models import ItemScore, Rating
from ratings.services import study_get_or_create, study_use_instrument, targets_import
from ratings.services.ratings_import import ratings_import
from ratings.tabular import Row, read_rows
from reports import frames
from reports.build import study_report


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
        assert (math.isnan(fast) and math.isnan(slow)) or abs(fast - slow) <= 1e-12, (path, fast, slow)
    else:
        assert fast == slow, (path, fast, slow)


def both_reports(study, version, monkeypatch, **options):
    fast = study_report(study, instrument_version=version, **options)
    with monkeypatch.context() as patch:
        patch.setattr(frames, "item_scores_frame", reference_item_scores_frame)
        # no integer codes on the straightforward path: the frame's strings are grouped by pandas
        patch.setattr(frames, "item_scores_frame_and_codes", lambda study, *, instrument_version: (
            reference_item_scores_frame(study, instrument_version=instrument_version), None))
        patch.setattr(frames, "scale_scores_frame", lambda items, *, spec, codes=None: reference_scale_scores_frame(
            items, spec=spec))
        patch.setattr(frames, "rows_by_item_and_kind", lambda items, codes: dict(tuple(
            items.groupby(["item", "rater_kind"], sort=False))))
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
    parts, groups = frames.rows_by_item_and_kind(fast, codes), dict(tuple(slow.groupby(["item", "rater_kind"], sort=False)))
    assert sorted(parts) == sorted(groups)
    for key, group in groups.items():
        pd.testing.assert_frame_equal(parts[key], group, check_exact=True)


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
