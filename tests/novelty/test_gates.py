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


TITLE = "TideFormer: sparse attention for tides"
TEXT = (f"{TITLE}\nWe introduce a sparse attention transformer for sea-level forecasting at tide gauges. "
        "It forecasts sea levels a week ahead and halves the error of recurrent networks.")
S1 = "We introduce a sparse attention transformer for sea-level forecasting at tide gauges."
S2 = "It forecasts sea levels a week ahead and halves the error of recurrent networks."


@pytest.mark.parametrize("claim, reason", [
    pytest.param({"claim": "", "kind": "method", "source_sentence": S1}, "empty claim text", id="empty"),
    pytest.param({"claim": "   .,;  ", "kind": "method", "source_sentence": S1}, "empty claim text", id="punctuation"),
    pytest.param({"claim": "attention attention attention", "kind": "method", "source_sentence": S1},
                 "degenerate claim text", id="word-repeated"),
    pytest.param({"claim": "sparse tide sparse tide sparse tide sparse", "kind": "method", "source_sentence": S1},
                 "degenerate claim text", id="few-distinct-words"),
    pytest.param({"claim": "aaaaaaaa", "kind": "method", "source_sentence": S1}, "degenerate claim text",
                 id="one-character"),
    pytest.param({"claim": "we did it for the", "kind": "method", "source_sentence": S1},
                 "claim text has no content word", id="stop-words-only"),
    pytest.param({"claim": "sparse attention for tides", "kind": "method", "source_sentence": TITLE},
                 "source sentence is the title", id="title"),
    pytest.param({"claim": "a new benchmark of moth songs", "kind": "dataset", "source_sentence": S1},
                 "claim text shares no content word with its source sentence", id="unrelated-to-source"),
])
def test_each_check_drops_and_names_its_reason(claim, reason):
    gate = claims_gate([claim], TEXT, title=TITLE)
    assert gate.kept == ()
    assert gate.dropped[0]["reason"].startswith(reason)
    counts = gate.counts()
    assert counts["dropped"] == 1 and list(counts["dropped_by_reason"]) == [reason]
    assert len(counts["checks"]) == 5  # the gate says what it checked


def test_duplicates_are_dropped_so_each_distinct_claim_is_compared_once():
    claims = [{"claim": "A sparse attention transformer for sea-level forecasting", "kind": "method",
               "source_sentence": S1},
              {"claim": "a sparse attention transformer for sea level forecasting!", "kind": "method",
               "source_sentence": S1},  # same normalised text
              {"claim": "A sparse attention transformer for sea-level forecastings", "kind": "method",
               "source_sentence": S1},  # near-identical
              {"claim": "halves the error of recurrent networks", "kind": "result", "source_sentence": S2}]
    gate = claims_gate(claims, TEXT, title=TITLE)
    assert [c["claim"] for c in gate.kept] == [claims[0]["claim"], claims[3]["claim"]]
    assert [d["reason"] for d in gate.dropped] == ["duplicate of kept claim 0"] * 2
    assert gate.counts()["dropped_by_reason"] == {"duplicate of a kept claim": 2}


def test_the_title_gate_fires_even_when_the_title_is_inside_the_text():
    gate = claims_gate([{"claim": "sparse attention", "kind": "method", "source_sentence": TITLE}], TEXT, title=TITLE)
    assert gate.counts()["dropped_by_reason"] == {"source sentence is the title": 1}
