"""Retrieval over the fictional corpus: prior work only, never the submission itself (same id,
same title, a near duplicate under another id), every exclusion counted with its reason, and
results that do not depend on input order; the index is saved and loaded unchanged."""

import numpy as np
import pytest

from novelty.retrieval import (
    NEAR_DUPLICATE_THRESHOLD, Corpus, Index, Paper, jaccard, parse_date, strictly_earlier,
)

P1_CLAIM = "A sparse attention transformer attends only to the dominant tidal constituents to forecast sea levels."
P1 = {"submission_id": "P1", "title": "TideFormer: sparse attention for week-ahead sea-level forecasting",
      "abstract": "We introduce a sparse attention transformer for sea-level forecasting at tide gauges. The model "
                  "attends only to the dominant tidal constituents of the gauge record. It forecasts sea levels "
                  "a week ahead and halves the error of recurrent networks."}


def _papers(demo_rows):
    return [Paper(id=r["id"], title=r["title"], abstract=r["abstract"], date=str(r["year"]), venue=r["venue"])
            for r in demo_rows["literature"]]


def _everything(corpus, date="2025"):
    return corpus.exclusions(**P1, date=parse_date(date))


@pytest.mark.parametrize("paper, submission, earlier", [
    pytest.param("2016", "2016-11-04", False, id="same-year-is-concurrent"),
    pytest.param("2015", "2016-11-04", True, id="earlier-year"),
    pytest.param("2016-10", "2016-11-04", True, id="earlier-month"),
    pytest.param("2016-11", "2016-11-04", False, id="same-month"),
    pytest.param("2016-11-03", "2016-11-04", True, id="day-before"),
    pytest.param("2016-11-04", "2016-11-04", False, id="same-day"),
    pytest.param("2016-11-05", "2016", False, id="later-day-same-year"),
    pytest.param("2017-01", "2016", False, id="later"),
])
def test_strictly_earlier_at_the_finest_precision_both_dates_have(paper, submission, earlier):
    assert strictly_earlier(parse_date(paper), parse_date(submission)) is earlier
    index = Index.build([Paper("X", "Tides", "Tidal gauges forecast sea levels.", paper)])
    assert bool(index.earlier_than(parse_date(submission))[0]) is earlier  # the vectorised rule agrees


@pytest.mark.parametrize("text", ["2016-13", "2016-02-30", "16", "2016/11", "", None, True, "2016-1"])
def test_bad_dates_are_refused(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_the_planted_paper_is_retrieved_first_for_its_claim(demo_rows):
    corpus = Corpus.of(_papers(demo_rows))
    hits = corpus.search(P1_CLAIM, k=5, exclusions=_everything(corpus))
    assert hits[0].paper.id == "L03"
    assert all(a.score >= b.score > 0 for a, b in zip(hits, hits[1:]))
    assert hits[0].to_dict()["abstract"].startswith("We propose a sparse attention transformer")


def test_the_submission_a_duplicate_and_concurrent_work_are_never_retrieved_and_each_is_counted(demo_rows):
    papers = _papers(demo_rows) + [
        Paper("P1", P1["title"], P1["abstract"], "2025-03"),  # the submission itself, in the corpus
        Paper("arxiv-1", "Sea levels a week ahead with sparse attention",  # a lightly edited copy, earlier
              P1["abstract"].replace("halves", "roughly halves"), "2024-12"),
        Paper("P1-title", P1["title"].upper() + "!", "An unrelated abstract about dunes.", "2020"),  # same title
        Paper("C1", "Sparse tidal attention for gauges", "Concurrent: a sparse attention transformer over tidal "
              "constituents for week-ahead sea-level forecasting at tide gauges.", "2025-06"),  # concurrent
    ]
    corpus = Corpus.of(papers)
    exclusions = _everything(corpus, "2025-06-15")
    assert exclusions.by_reason == {"same_id": ["P1"], "same_title": ["P1-title"], "near_duplicate": ["arxiv-1"],
                                    "not_earlier": ["C1", "L10"]}
    stored = exclusions.to_dict()
    assert {reason: row["count"] for reason, row in stored.items()} == {
        "same_id": 1, "same_title": 1, "near_duplicate": 1, "not_earlier": 2}
    assert stored["near_duplicate"]["similarity"]["arxiv-1"] >= NEAR_DUPLICATE_THRESHOLD
    assert "strictly earlier" in stored["not_earlier"]["description"]
    for query in (P1_CLAIM, P1["title"], P1["abstract"], "concurrent sparse tidal attention", "dunes"):
        found = {h.paper.id for h in corpus.search(query, k=len(papers), exclusions=exclusions)}
        assert not found & {"P1", "arxiv-1", "P1-title", "C1", "L10"}, query
    # Without the rules the submission itself would be the best match: the rules are what exclude it.
    nothing = corpus.exclusions(submission_id="other", title="other", abstract="zebra", date=None)
    assert corpus.search(P1["abstract"], k=1, exclusions=nothing)[0].paper.id in {"P1", "arxiv-1"}


def test_a_related_but_different_abstract_is_not_a_near_duplicate(demo_rows):
    l03 = next(r for r in demo_rows["literature"] if r["id"] == "L03")["abstract"]
    assert jaccard(P1["abstract"], l03) < NEAR_DUPLICATE_THRESHOLD  # L03 anticipates P1 but is not P1


def test_results_are_deterministic_and_survive_save_and_load(demo_rows, tmp_path):
    papers = _papers(demo_rows)
    first, again = Corpus.of(papers), Corpus.of(list(reversed(papers)))
    assert (first.search(P1_CLAIM, k=10, exclusions=_everything(first))
            == again.search(P1_CLAIM, k=10, exclusions=_everything(again)))
    assert first.search("zebra quantum", k=3, exclusions=_everything(first)) == []
    first.index.save(tmp_path / "ix")
    loaded = Index.load(tmp_path / "ix")
    assert loaded.ids == first.index.ids and np.array_equal(loaded.dates, first.index.dates)
    assert loaded.top(P1_CLAIM, k=10) == first.index.top(P1_CLAIM, k=10)


def test_an_empty_corpus_retrieves_nothing():
    corpus = Corpus.of([])
    exclusions = corpus.exclusions(submission_id="P1", title="t", abstract="a", date=parse_date("2020"))
    assert corpus.search("anything", k=5, exclusions=exclusions) == []
    assert exclusions.to_dict()["not_earlier"]["count"] == 0
