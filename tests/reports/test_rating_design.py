"""The report follows the study's rating design (issue 14): declared or inferred, stated in words,
the ICC forms that fit it first, rater pairs only where raters are people who meet again."""

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from ratings.services import study_get_or_create, study_use_instrument, targets_import
from ratings.services.ratings_import import ratings_import
from ratings.tabular import read_rows
from reports.build import study_report
from reports.design import MIN_SHARED_TARGETS, RaterOverlap, rating_design
from reports.render import render_html

N_TARGETS, PER_TARGET = 80, 3
TARGET_SD, RATING_SD = 0.8, 0.7  # per-item noise; a rater's own offset is part of the noise (nested)


def simulate(rng, n, n_items):
    """Each target's true level; PER_TARGET ratings of it, each by a different (random) rater."""
    truth = rng.normal(0, TARGET_SD, n)
    offsets = rng.normal(0, 0.4, (n, PER_TARGET))
    noise = rng.normal(0, RATING_SD, (n, PER_TARGET, n_items))
    return np.clip(np.rint(3 + truth[:, None, None] + offsets[:, :, None] + noise), 1, 5)


def population_icc1(items):
    """ICC(1) of the total score for this generator, by Monte Carlo on 100,000 targets."""
    answers = simulate(np.random.default_rng(99), 100_000, len(items))
    total = answers.mean(axis=2)  # keyed answers (the file stores reversed items reversed)
    long = pd.DataFrame({"target": np.repeat(np.arange(len(total)), PER_TARGET), "score": total.ravel()})
    return pm.icc_oneway(long)["ICC1"].estimate


def one_way_study(engagement, slug, rater_name, rating_design=""):
    study, _ = study_get_or_create(slug=slug)
    study.rating_design = rating_design
    study.save(update_fields=["rating_design"])
    study_use_instrument(study=study, version=engagement)
    items = engagement.spec.items
    answers = simulate(np.random.default_rng(5), N_TARGETS, len(items))
    reverse = np.array([item.reverse for item in items])
    answers[:, :, reverse] = 6 - answers[:, :, reverse]
    rng = np.random.default_rng(8)
    lines = ["id,text,criterion:outcome"] + [f"T{t:03d},story {t},{rng.normal():.6f}" for t in range(N_TARGETS)]
    targets_import(study=study, rows=read_rows("\n".join(lines) + "\n", "csv"), fmt="csv")
    rows = ["target_id,rater_id,item,score"]
    rows += [f"T{t:03d},{rater_name(t, j)},{item.code},{int(answers[t, j, i])}"
             for t in range(N_TARGETS) for j in range(PER_TARGET) for i, item in enumerate(items)]
    ratings_import(study=study, rows=read_rows("\n".join(rows) + "\n", "csv"))
    return study


def test_reviewers_nested_in_targets_are_one_way_and_icc1_is_recovered(engagement):
    study = one_way_study(engagement, "nested", lambda t, j: f"{'abc'[j]}-reviewer-{t:03d}")
    report = study_report(study, instrument_version=engagement, n_boot=50)
    design = report["rating_design"]
    assert (design["design"], design["source"], design["inferred"]) == ("one-way", "inferred", "one-way")
    assert design["linked_share"] == 0.0 and design["n_raters"] == N_TARGETS * PER_TARGET
    assert design["statement"].startswith("One-way design: each target is rated by its own set of raters")
    assert "set_rating_design" in design["statement"]  # how to declare it otherwise

    icc = report["human_reliability"]["scales"]["total"]["icc"]
    assert icc["design"] == "one-way" and icc["lead"] == ["ICC1", "ICC1k"]
    assert set(icc["forms"]) == {"ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"}  # all six stay in the JSON
    assert icc["forms"]["ICC1"]["fits_design"] and not icc["forms"]["ICC2"]["fits_design"]
    assert "does not fit a one-way design" in icc["forms"]["ICC2"]["note"]
    truth = population_icc1(engagement.spec.items)
    one = icc["forms"]["ICC1"]
    assert one["ci_low"] <= truth <= one["ci_high"], (truth, one)
    assert icc["forms"]["ICC1k"]["k"] == pytest.approx(3.0)

    participation = report["human_reliability"]["items"]["participation"]
    assert "cohen_kappa_pairs" not in participation and "nested in targets" in participation["cohen_kappa_pairs_omitted"]
    assert report["llm_vs_human"]["human_vs_human"] == {} and "human_vs_human_omitted" in report["llm_vs_human"]
    validity = report["criterion_validity"]["scales"]["total"]["human_mean"]["outcome"]
    assert validity["disattenuated_r"]["reliability_x_from"].startswith("ICC1k")

    html = render_html(report)
    assert "One-way design" in html and "ICC(1) single rating" in html and "ICC(1,k)" in html
    assert "weighted kappa per pair" not in html and "<th>ICC2 = ICC(A,1)</th>" not in html.split("<h2>2.")[0]
    assert "Rater-by-rater agreement: Not drawn: Raters are nested in targets" in html


def test_slot_ids_declared_one_way_are_not_paired(engagement):
    study = one_way_study(engagement, "slots", lambda t, j: f"h{j + 1}", rating_design="one-way")
    report = study_report(study, instrument_version=engagement, n_boot=50)
    design = report["rating_design"]
    # slots over every target look crossed in the data: only the declaration says otherwise
    assert (design["design"], design["source"], design["inferred"]) == ("one-way", "declared", "crossed")
    assert "declared by the study" in design["statement"]
    assert any("look crossed" in w for w in design["warnings"])
    icc = report["human_reliability"]["scales"]["total"]["icc"]
    assert icc["lead"] == ["ICC1", "ICC1k"] and icc["n_raters"] == 3
    # the two-way forms of the slot matrix are computed (few ids) but marked as not fitting
    assert "estimate" in icc["forms"]["ICC2"] and not icc["forms"]["ICC2"]["fits_design"]
    assert len(report["score_distributions"]["scales"]["total"]["human"]["values"]) == N_TARGETS * PER_TARGET
    assert "cohen_kappa_pairs" not in report["human_reliability"]["items"]["participation"]
    html = render_html(report)
    assert "h1~h2" not in html and "Rating design (declared): one-way." in html


def _pairs(assignment):
    return pd.DataFrame(assignment, columns=["target", "rater"])


def test_inference_rule_on_typical_layouts():
    rng = np.random.default_rng(1)
    slots = _pairs([(t, f"h{j}") for t in range(50) for j in range(3)])
    nested = _pairs([(t, f"r{t}-{j}") for t in range(50) for j in range(3)])
    sparse_crossed = _pairs([(t, f"p{j}") for t in range(200) for j in range(10) if rng.random() < 0.3])
    thousand = _pairs([(t, f"q{(t + s) % 1000}") for t in range(1000) for s in range(3)])
    assert rating_design("", slots)["design"] == "crossed"
    assert rating_design("", nested)["design"] == "one-way"
    assert rating_design("", sparse_crossed)["design"] == "crossed"  # gaps allowed
    assert rating_design("", thousand)["design"] == "one-way"  # 1,000 raters, 3 ratings per target
    assert rating_design("", _pairs([(0, "a"), (1, "b")]))["design"] is None  # no target rated twice
    declared = rating_design("crossed", nested)
    assert declared["design"] == "crossed" and declared["source"] == "declared" and declared["warnings"]


def test_pairs_are_compared_only_on_enough_shared_targets():
    rows = [(t, "a") for t in range(30)] + [(t, "b") for t in range(30)]  # a and b share 30
    rows += [(t, "c") for t in range(5)]  # c shares 5 targets with each
    overlap = RaterOverlap(_pairs(rows))
    assert overlap.threshold == MIN_SHARED_TARGETS
    assert overlap.comparable_pairs() == [("a", "b", 30)]
    assert overlap.n_sharing_pairs() == 3
    small = RaterOverlap(_pairs([(t, r) for t in range(4) for r in "xy"]))
    assert small.threshold == 4 and small.comparable_pairs() == [("x", "y", 4)]  # a 4-target study
