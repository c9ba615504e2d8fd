"""Gates drop what fails and count it; they never repair."""

import pytest

from novelty.gates import FUZZY_THRESHOLD, citations_gate, claims_gate, source_in_input

PAPER = ("TideFormer. We introduce a sparse attention transformer for sea-level forecasting at tide gauges. "
         "It forecasts sea levels a week ahead.")


@pytest.mark.parametrize("source, ok", [
    pytest.param("We introduce a sparse attention transformer for sea-level forecasting at tide gauges.", True,
                 id="verbatim"),
    pytest.param("we introduce a SPARSE attention transformer for sea level forecasting, at tide gauges", True,
                 id="case-and-punctuation"),
    pytest.param("We introduce a sparse attention transformer for sea-level forecasting at tidal gauges.", True,
                 id="one-word-paraphrase"),
    pytest.param("We prove that attention is all you need for weather.", False, id="fabricated"),
    pytest.param("It forecasts", False, id="too-short-to-be-a-source"),
    pytest.param("", False, id="empty"),
])
def test_source_sentence_must_exist_in_the_input(source, ok):
    assert source_in_input(source, PAPER)[0] is ok


def test_a_fabricated_claim_is_dropped_and_counted():
    claims = [
        {"claim": "sparse attention", "kind": "method",
         "source_sentence": "We introduce a sparse attention transformer for sea-level forecasting at tide gauges."},
        {"claim": "a new dataset", "kind": "dataset", "source_sentence": "We release ten thousand gauge records."},
    ]
    gate = claims_gate(claims, PAPER)
    assert [c["claim"] for c in gate.kept] == ["sparse attention"]
    counts = gate.counts()
    assert (counts["kept"], counts["dropped"]) == (1, 1)
    assert counts["dropped_items"][0]["claim"] == "a new dataset"
    assert counts["dropped_items"][0]["source_similarity"] < FUZZY_THRESHOLD


def test_a_cited_id_not_retrieved_is_dropped_and_counted():
    gate = citations_gate(["L03", "L99", "L03", "L10"], ["L01", "L03", "L09"])
    assert gate.kept == ("L03",)
    assert [d["id"] for d in gate.dropped] == ["L99", "L10"]
    assert gate.counts()["dropped"] == 2
