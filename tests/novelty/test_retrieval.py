"""Retrieval over the fictional corpus: the planted anticipating paper is found for its claim,
the paper dated after the submission never is, and results do not depend on input order."""

from novelty.retrieval import Index, Paper

P1_CLAIM = "A sparse attention transformer attends only to the dominant tidal constituents to forecast sea levels."


def _papers(demo_rows):
    return [Paper(id=r["id"], title=r["title"], abstract=r["abstract"], year=r["year"], venue=r["venue"])
            for r in demo_rows["literature"]]


def test_the_planted_paper_is_retrieved_first_for_its_claim(demo_rows):
    hits = Index(_papers(demo_rows), before_year=2025).search(P1_CLAIM, k=5)
    assert hits[0].paper.id == "L03"
    assert all(a.score >= b.score > 0 for a, b in zip(hits, hits[1:]))


def test_papers_dated_after_the_submission_are_never_retrieved(demo_rows):
    papers = _papers(demo_rows)
    index = Index(papers, before_year=2025)
    assert index.excluded == ["L10"]
    for query in (P1_CLAIM, "Sparse attention transformers for week-ahead tide-gauge sea-level forecasting",
                  "This paper appeared after the submissions it resembles"):
        assert "L10" not in [h.paper.id for h in index.search(query, k=len(papers))]
    # Without the date rule the future paper would be the best match: the rule is what excludes it.
    assert Index(papers).search("week-ahead tide-gauge sparse attention transformers", k=1)[0].paper.id == "L10"


def test_results_are_deterministic(demo_rows):
    papers = _papers(demo_rows)
    first = Index(papers, before_year=2025).search(P1_CLAIM, k=10)
    again = Index(list(reversed(papers)), before_year=2025).search(P1_CLAIM, k=10)
    assert first == again
    assert Index(papers).search("zebra quantum", k=3) == []
