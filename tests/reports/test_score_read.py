"""The report's read (`reports/score_arrays.py`) reads scores by their rating's id range without
joins: scores of ratings that are not the study's submitted ones of the version (another study's
in the same id range, a draft's) are left out, LLM scores come row by row, and the frame equals
the ORM's."""

import pandas as pd
import pytest

from ratings.models import ItemScore, Rating
from ratings.services import study_get_or_create, study_use_instrument, targets_import
from ratings.services.ratings_import import ratings_import
from ratings.tabular import Row, read_rows
from reports import frames

from .test_report_identity import reference_item_scores_frame

pytestmark = pytest.mark.postgres  # the aggregates differ by database: run on PostgreSQL too


def _study(slug, version, n_targets):
    study, _ = study_get_or_create(slug=slug)
    study_use_instrument(study=study, version=version)
    targets_import(study=study, fmt="jsonl", rows=[Row(i + 1, {"id": f"{slug}-{i:03d}", "text": f"t {i}"})
                                                   for i in range(n_targets)])
    return study


def _rows(study, version, rater, targets, *, score):
    lines = ["target_id,rater_id,item,score"]
    lines += [f"{study.slug}-{t:03d},{rater},{item.code},{score(t, k)}" for t in targets
              for k, item in enumerate(version.spec.items)]
    return read_rows("\n".join(lines) + "\n", "csv")


def test_interleaved_studies_drafts_and_llm_scores_read_as_the_orm(engagement):
    version = engagement
    ours, theirs = _study("ours", version, 12), _study("theirs", version, 12)
    # the two studies' ratings alternate in id, so each chunk's id range holds the other's scores
    for first in range(0, 12, 3):
        for study in (ours, theirs):
            ratings_import(study=study, rows=_rows(study, version, "h1", range(first, first + 3),
                                                   score=lambda t, k: 1 + (t + k) % 5), instrument="therapy-engagement")
            ratings_import(study=study, rows=_rows(study, version, "h2", range(first, first + 3),
                                                   score=lambda t, k: "" if (t * k) % 7 == 1 else 1 + (t * k) % 5),
                           instrument="therapy-engagement")
    ratings_import(study=ours, rows=_rows(ours, version, "judge", range(12), score=lambda t, k: 1 + (t + k) % 40 / 10),
                   rater_kind="llm", model="judge-x", instrument="therapy-engagement")
    draft = Rating.objects.filter(target__study=ours, rater__name="h1").order_by("pk").first()
    draft.status = Rating.Status.DRAFT
    draft.save(update_fields=["status"])
    assert ItemScore.objects.filter(rating=draft).exists()

    for chunk in (1_000_000, 25):  # one text, and many chunks of ratings
        fast, codes = frames.item_scores_frame_and_codes(ours, instrument_version=version, chunk=chunk)
        slow = reference_item_scores_frame(ours, instrument_version=version)
        pd.testing.assert_frame_equal(fast, slow, check_exact=True)
        assert list(codes.targets[codes.target]) == list(slow["target"])
        assert list(codes.raters[codes.rater]) == list(slow["rater"])
        assert list(codes.kinds[codes.rater]) == list(slow["rater_kind"])
    assert set(fast["target"].str.slice(0, 4)) == {"ours"} and "judge" in set(fast["rater"])


def test_a_study_without_scores_reads_an_empty_frame(engagement):
    study = _study("empty", engagement, 3)
    fast, codes = frames.item_scores_frame_and_codes(study, instrument_version=engagement)
    assert fast.empty and list(fast.columns) == frames.ITEM_COLUMNS and len(codes.target) == 0
