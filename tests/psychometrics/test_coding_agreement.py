"""Agreement on behavioural codes: published values where the library's coefficients are reused,
and synthetic coders of known accuracy whose kappa is known analytically.

Simulation model: each segment has a true code drawn from base rates pi; coder c gives the true
code with probability a_c and otherwise a code drawn from pi, independently. Every coder's
margins are then pi, and for coders c, d the observed agreement is
p_o = a_c a_d + (1 - a_c a_d) sum(pi^2) with chance agreement p_e = sum(pi^2), so
kappa = (p_o - p_e) / (1 - p_e) = a_c a_d: Cohen's, Scott's/Fleiss' and Krippendorff's
coefficients all estimate a_c a_d for two coders, and the mean of a_c a_d over pairs for many.
Recoding to "code k vs the rest" is the same model with base rates (pi_k, 1 - pi_k), so each
code's kappa is a_c a_d too.
"""

import json
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from psychometrics.coding import code_agreement, confusion_matrix, per_code_kappa

from .conftest import REFERENCE

R_REF = json.loads((REFERENCE / "r_reference.json").read_text())
CODES = ["reflection", "question", "therapist_input", "other"]
BASE_RATES = [0.4, 0.3, 0.2, 0.1]


def _simulate(accuracies, n=3000, seed=1):
    rng = np.random.default_rng(seed)
    truth = rng.choice(len(CODES), size=n, p=BASE_RATES)
    rows = []
    for c, a in enumerate(accuracies):
        right = rng.random(n) < a
        guess = rng.choice(len(CODES), size=n, p=BASE_RATES)
        given = np.where(right, truth, guess)
        rows += [(f"u{i}", f"coder{c}", CODES[k]) for i, k in enumerate(given)]
    return pd.DataFrame(rows, columns=["target", "rater", "score"])


def _covers(result, expected):
    return result.ci_low <= expected <= result.ci_high


def test_two_coders_of_known_accuracy_recover_kappa_within_its_ci():
    expected = 0.8 * 0.7
    res = code_agreement(_simulate([0.8, 0.7]), categories=CODES, n_boot=300)
    for name in ("cohen_kappa", "fleiss_kappa", "krippendorff_alpha"):
        result = getattr(res, name)
        assert _covers(result, expected), (name, result.estimate, result.ci_low, result.ci_high)
        assert result.ci_high - result.ci_low < 0.08
    for code in CODES:
        assert _covers(res.per_code_kappa[code], expected), code
    p_e = sum(p * p for p in BASE_RATES)
    assert _covers(res.percent_agreement, expected + (1 - expected) * p_e)
    assert res.n == 3000 and res.n_coders == 2 and res.confusion.n_pairs == 3000


def test_three_coders_recover_the_mean_pairwise_kappa():
    accuracies = [0.9, 0.7, 0.5]
    expected = np.mean([a * b for a, b in combinations(accuracies, 2)])
    res = code_agreement(_simulate(accuracies, seed=7), categories=CODES, n_boot=300)
    assert _covers(res.fleiss_kappa, expected), res.fleiss_kappa
    assert _covers(res.krippendorff_alpha, expected), res.krippendorff_alpha
    assert res.cohen_kappa is None and "two coders" in res.errors["cohen_kappa"]


def test_chance_coders_have_kappa_near_zero():
    res = code_agreement(_simulate([0.0, 0.0], seed=3), categories=CODES, n_boot=0)
    assert _covers(res.cohen_kappa, 0.0)


def test_reused_coefficients_give_the_published_values():
    # irrCAC's cac.raw4raters (Krippendorff 2011 data) with the codes as labels: Fleiss 0.761
    # (fleiss.kappa.raw), pairwise agreement 0.8182 (pa.coeff.raw), nominal alpha 0.743
    # (irr::kripp.alpha).
    from psychometrics.multirater import _doctest_raw4raters
    data = _doctest_raw4raters()
    data["score"] = data["score"].map({1: "a", 2: "b", 3: "c", 4: "d", 5: "e"})
    res = code_agreement(data, n_boot=0)
    assert res.fleiss_kappa.estimate == pytest.approx(0.761, abs=5e-4)
    assert res.percent_agreement.estimate == pytest.approx(0.8182, abs=5e-5)
    assert res.krippendorff_alpha.estimate == pytest.approx(0.743, abs=5e-4)


def test_per_code_kappa_is_fleiss_per_category(diagnoses_long):
    # irr::kappam.fleiss(diagnoses, detail = TRUE): the kappa of each category.
    ref = R_REF["irr_diagnoses"]
    res = per_code_kappa(diagnoses_long, target="patient", rater="rater", score="diagnosis")
    for level, kappa in zip(ref["detail_levels"], ref["detail_kappa"]):
        assert res[level].estimate == pytest.approx(kappa, abs=5e-4), level


def test_confusion_matrix_of_two_coders_and_pooled_pairs():
    two = pd.DataFrame({"target": [1, 2, 3, 4, 1, 2, 3, 4], "rater": list("aaaabbbb"),
                        "score": ["x", "x", "y", "y", "x", "y", "y", "y"]})
    res = confusion_matrix(two, categories=["x", "y"])
    assert res.counts == ((1.0, 1.0), (0.0, 2.0)) and res.raters == ("a", "b")
    assert res.estimate == 0.75 and res.n == 4
    three = pd.concat([two, pd.DataFrame({"target": [1, 2], "rater": ["c", "c"], "score": ["x", "y"]})])
    pooled = confusion_matrix(three, categories=["x", "y"])
    # pairs: a-b on 4 segments, a-c and b-c on segments 1 and 2
    assert pooled.n_pairs == 8
    assert np.allclose(np.array(pooled.counts), np.array(pooled.counts).T)
    assert pooled.estimate == pytest.approx(6 / 8)  # a-b agree on 3 of 4, a-c on 1 of 2, b-c on 2 of 2


def test_a_code_nobody_disagrees_on_is_named_not_counted():
    data = pd.DataFrame({"target": [1, 2, 1, 2], "rater": list("aabb"), "score": ["x", "x", "x", "x"]})
    res = code_agreement(data, categories=["x", "y"], n_boot=0)
    assert res.fleiss_kappa is None and "one category" in res.errors["fleiss_kappa"]
    assert isinstance(res.per_code_kappa["y"], str)


def test_codes_outside_the_set_are_refused():
    data = pd.DataFrame({"target": [1, 1], "rater": ["a", "b"], "score": ["x", "z"]})
    with pytest.raises(ValueError, match="not among the categories"):
        code_agreement(data, categories=["x", "y"])
