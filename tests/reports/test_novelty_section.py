"""The novelty section against figures computed by hand on a small fixture.

Five fictional submissions, two human reviewers, the pipeline's LLM rater and the holistic
baseline's. Every expected value below is worked out in the comments or from the textbook
formula, not from our code.
"""

import math

import numpy as np
import pytest

from instruments.services import instrument_load
from ratings.models import ItemScore, Rater, Rating
from ratings.services import study_get_or_create, targets_import
from ratings.services.ratings_import import ratings_import
from ratings.services.studies import study_use_instrument
from ratings.tabular import read_rows
from reports.build import study_report

Z = 1.959963984540054
TARGETS = ["T1", "T2", "T3", "T4", "T5"]
HUMANS = {  # novelty, conclusion, reasoning_aligned per target
    "h1": [(1, 1, 1), (2, 2, 1), (4, 3, 0), (5, 3, 1), (3, 2, 1)],
    "h2": [(2, 1, 1), (2, 1, 0), (4, 3, 1), (4, 3, 1), (3, 2, 0)],
}
PIPELINE = [(2.5, 1), (1.5, 2), (4.0, 3), (4.5, 2), (3.5, 2)]  # expected novelty, conclusion
HOLISTIC = [(3.0, 3), (3.0, 3), (3.0, 3), (4.0, 3), (3.0, 3)]


def _wilson(k, n):
    p = k / n
    centre, half = p + Z**2 / (2 * n), Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return (centre - half) / (1 + Z**2 / n), (centre + half) / (1 + Z**2 / n)


def _icc_a1(x):
    """McGraw & Wong (1996) ICC(A,1) from the two-way ANOVA mean squares."""
    n, k = x.shape
    grand = x.mean()
    msr = k * ((x.mean(axis=1) - grand) ** 2).sum() / (n - 1)
    msc = n * ((x.mean(axis=0) - grand) ** 2).sum() / (k - 1)
    sse = ((x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + grand) ** 2).sum()
    mse = sse / ((n - 1) * (k - 1))
    return (msr - mse) / (msr + (k - 1) * mse + k / n * (msc - mse))


def _llm(study, version, name, values):
    rater = Rater.objects.create(name=name, kind=Rater.Kind.LLM, model_path="m.gguf", model_sha256="0" * 64)
    items = {i.code: i for i in version.items.all()}
    for target, (expected, conclusion) in zip(study.targets.order_by("external_id"), values):
        rating = Rating.objects.create(rater=rater, target=target, instrument_version=version, source="llm")
        ItemScore.objects.create(rating=rating, item=items["novelty"], score=round(expected), expected_score=expected)
        ItemScore.objects.create(rating=rating, item=items["conclusion"], score=conclusion, expected_score=conclusion)


@pytest.fixture
def report(db, builtin_text):
    pipeline = instrument_load(text=builtin_text("novelty-assessment")).version
    holistic = instrument_load(text=builtin_text("novelty-holistic")).version
    study, _ = study_get_or_create(slug="nov")
    targets_import(study=study, rows=read_rows("id,text\n" + "".join(f"{t},Abstract {t}.\n" for t in TARGETS), "csv"),
                   fmt="csv")
    lines = ["target_id,rater_id,item,score"]
    for human, answers in HUMANS.items():
        for target, (novelty, conclusion, aligned) in zip(TARGETS, answers):
            lines += [f"{target},{human},novelty,{novelty}", f"{target},{human},conclusion,{conclusion}",
                      f"{target},{human},reasoning_aligned,{aligned}"]
    ratings_import(study=study, rows=read_rows("\n".join(lines) + "\n", "csv"), instrument="novelty-assessment")
    study_use_instrument(study=study, version=holistic)
    _llm(study, pipeline, "llm-pipeline", PIPELINE)
    _llm(study, holistic, "llm-holistic", HOLISTIC)
    return study_report(study, instrument_version=pipeline, n_boot=50)["novelty"]


def test_conclusion_agreement(report):
    pipeline = report["pipeline"]["llm-pipeline"]["conclusion_agreement"]
    # Pairs (llm, human): T1 (1,1)(1,1); T2 (2,2)(2,1); T3 (3,3)(3,3); T4 (2,3)(2,3);
    # T5 (2,2)(2,2): 7 of 10 agree.
    assert pipeline["n"] == 10
    assert pipeline["percent_agreement"]["estimate"] == pytest.approx(7 / 10, abs=1e-12)
    low, high = _wilson(7, 10)
    assert pipeline["percent_agreement"]["ci_low"] == pytest.approx(low, abs=1e-9)
    assert pipeline["percent_agreement"]["ci_high"] == pytest.approx(high, abs=1e-9)
    # Table (llm rows x human columns, 1..3): [[2,0,0],[1,3,2],[0,0,2]]; po = 7/10,
    # pe = (2*3 + 6*3 + 2*4) / 100 = 0.32, kappa = (0.7 - 0.32) / 0.68 = 19/34.
    assert pipeline["cohen_kappa"]["estimate"] == pytest.approx(19 / 34, abs=1e-12)
    baseline = report["holistic_baseline"]["llm-holistic (novelty-holistic@1.0.0)"]["conclusion_agreement"]
    # Always "novel" (3): agrees on T3 and T4 with both reviewers, 4 of 10; po = pe = 0.4, kappa 0.
    assert baseline["percent_agreement"]["estimate"] == pytest.approx(0.4, abs=1e-12)
    assert baseline["cohen_kappa"]["estimate"] == pytest.approx(0.0, abs=1e-12)


def test_score_agreement(report):
    score = report["pipeline"]["llm-pipeline"]["score_agreement"]
    # LLM 2.5, 1.5, 4, 4.5, 3.5 against the mean human 1.5, 2, 4, 4.5, 3: deviations from the
    # means (3.2, 3.0) give sum dxdy = 5.5, sxx = 5.8, syy = 6.5. Ranks 2,1,4,5,3 vs 1,2,4,5,3:
    # rho = 1 - 6 * 2 / (5 * 24) = 0.9.
    assert score["n"] == 5
    assert score["pearson_r"]["estimate"] == pytest.approx(5.5 / math.sqrt(5.8 * 6.5), abs=1e-12)
    assert score["spearman_rho"]["estimate"] == pytest.approx(0.9, abs=1e-12)
    expected = _icc_a1(np.array([[2.5, 1.5], [1.5, 2.0], [4.0, 4.0], [4.5, 4.5], [3.5, 3.0]]))
    assert score["ICC2"]["estimate"] == pytest.approx(expected, abs=1e-12)
    assert score["ICC2"]["ci_low"] < score["ICC2"]["estimate"] < score["ICC2"]["ci_high"]


def test_reasoning_alignment(report):
    # reasoning_aligned answers: h1 1,1,0,1,1; h2 1,0,1,1,0: 7 of 10 yes.
    alignment = report["reasoning_alignment"]
    assert (alignment["n"], alignment["successes"]) == (10, 7)
    assert alignment["estimate"] == pytest.approx(0.7, abs=1e-12)
    low, high = _wilson(7, 10)
    assert (alignment["ci_low"], alignment["ci_high"]) == (pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9))
    assert report["human_reviewers"] == ["h1", "h2"]


def test_html_and_csv_show_the_section(db, builtin_text, report):
    from ratings.models import Study
    from reports.render import render_csv, render_html

    study = Study.objects.get(slug="nov")
    full = study_report(study, instrument_version=study.instrument_versions.get(instrument__slug="novelty-assessment"),
                        n_boot=50)
    html = render_html(full)
    assert "Novelty: LLM against human reviewers" in html and "holistic baseline" in html
    assert "0.700 [" in html  # the pipeline's conclusion agreement, 7 of 10
    assert "Novelty pipeline: contradictions (novelty-assessment@1.1.0)" in html
    assert "No run of this version was checked for contradictions." in html  # stored without the checks
    assert "novelty,reasoning_alignment," in render_csv(full)


def test_contradictions_are_counted_per_version_and_model(db, builtin_text):
    """Four pipeline runs by one model: two with a contradiction (one label vs citations, one
    conclusion vs comparisons), one clean, one stored before the checks existed (unchecked)."""
    version = instrument_load(text=builtin_text("novelty-assessment")).version
    study, _ = study_get_or_create(slug="nov-c")
    targets_import(study=study, rows=read_rows("id,text\nA,a.\nB,b.\nC,c.\nD,d.\n", "csv"), fmt="csv")
    rater = Rater.objects.create(name="llm-p", kind=Rater.Kind.LLM, model_path="/models/big.gguf", model_sha256="1" * 64)
    flags = {"A": {"comparisons": 3, "comparisons_contradicting_citations": [{"claim_index": 1}],
                   "conclusion_contradicts_comparisons": None, "any": True},
             "B": {"comparisons": 2, "comparisons_contradicting_citations": [],
                   "conclusion_contradicts_comparisons": "concluded novel although all 2 say anticipated", "any": True},
             "C": {"comparisons": 4, "comparisons_contradicting_citations": [], "conclusion_contradicts_comparisons": None,
                   "any": False},
             "D": None}
    for target in study.targets.all():
        checked = flags[target.external_id]
        Rating.objects.create(rater=rater, target=target, instrument_version=version, source="llm",
                              provenance={"pipeline": {"consistency": checked}} if checked else {})
    section = study_report(study, instrument_version=version, n_boot=20)["novelty"]["consistency"]
    entry = section["by_rater"]["llm-p"]
    assert section["instrument_version"] == "novelty-assessment@1.1.0"
    assert (entry["model"], entry["papers"], entry["unchecked"]) == ("big.gguf", 3, 1)
    assert entry["papers_with_contradiction"] == 2
    assert (entry["papers_with_label_citation_contradiction"], entry["papers_with_conclusion_contradiction"]) == (1, 1)
    assert (entry["comparisons"], entry["comparisons_contradicting_citations"]) == (9, 1)
    low, high = _wilson(2, 3)
    share = entry["share_with_contradiction"]
    assert (share["estimate"], share["n"]) == (pytest.approx(2 / 3, abs=1e-12), 3)
    assert (share["ci_low"], share["ci_high"]) == (pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9))
