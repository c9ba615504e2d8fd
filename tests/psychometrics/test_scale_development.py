"""Scale development on simulated pools with known structure, and item analysis against R.

Known truth: `simulate_pool` builds pools where the first items load .7-.8 on a factor that
correlates with the criterion and the rest are noise (or, for the optimism test, where no
item is related to the criterion at all, so the true validity of any selection is zero).
"""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psychometrics.scale_development import (SelectionRule, cluster_bootstrap_rows, cluster_codes,
                                             develop_scale, grouped_folds, item_analysis,
                                             scale_performance)
from psychometrics.scale_development.simulate import simulate_pool

N_ITEMS = ["N1", "N2", "N3", "N4", "N5"]


@pytest.fixture(scope="module")
def pool():
    return simulate_pool(n_targets=300, n_clusters=60, n_items=30, n_true=8, seed=11)


@pytest.fixture(scope="module")
def developed(pool):
    items, criteria, clusters, _ = pool
    return develop_scale(items, criteria, rule=SelectionRule(criterion="criterion", k_max=12),
                         clusters=clusters, n_folds=3, n_repeats=5, n_boot=60, seed=3)


def test_item_analysis_matches_psych_on_bfi(bfi, r_ref):
    # psych::alpha(bfi_keyed[N1:N5])$item.stats$r.drop and psych::fa(..., 1)$loadings (minres)
    table = item_analysis(bfi[N_ITEMS])
    np.testing.assert_allclose(table["r_drop"], r_ref["alpha_N"]["r_drop"], atol=1e-10)
    np.testing.assert_allclose(table["loading"], r_ref["fa1_N"]["minres_loadings"], atol=1e-5)
    assert (table["n"] == r_ref["bfi_n"]).all() and (table["missing_share"] == 0).all()


def test_scale_performance_matches_psych_on_bfi(bfi, r_ref):
    x = bfi[N_ITEMS].to_numpy(dtype=float)
    omega_total, alpha = scale_performance(x, np.empty((len(x), 0)), np.arange(5), np.ones(5))
    assert omega_total == pytest.approx(r_ref["fa1_N"]["omega_total_minres"], abs=1e-6)
    assert alpha == pytest.approx(r_ref["alpha_N"]["raw_alpha"], abs=1e-12)


def test_item_distribution_columns_follow_their_definitions():
    items = pd.DataFrame({"a": [1, 1, 2, 5, np.nan], "b": [1, 2, 3, 4, 5], "c": [5, 4, 3, 1, 1]})
    table = item_analysis(items, bounds={code: (1, 5) for code in "abc"})
    a = table.loc["a"]
    assert a["n"] == 4 and a["missing_share"] == pytest.approx(0.2)
    assert a["floor_share"] == pytest.approx(0.5) and a["ceiling_share"] == pytest.approx(0.25)
    # G1 for [1, 1, 2, 5] by hand: m2 = 2.6875, m3 = 4.21875, g1 = m3 / m2**1.5,
    # G1 = g1 * sqrt(n (n - 1)) / (n - 2) (Joanes & Gill 1998).
    g1 = 4.21875 / 2.6875 ** 1.5
    assert a["skew"] == pytest.approx(g1 * np.sqrt(12) / 2, rel=1e-12)
    assert a["sd"] == pytest.approx(np.std([1, 1, 2, 5], ddof=1))
    assert table.loc["c", "loading"] < 0 < table.loc["b", "loading"]  # c is reverse-worded


def test_the_procedure_recovers_the_true_items(pool, developed):
    _, _, _, true = pool
    assert developed.k_chosen_by.startswith("largest mean |r|")
    assert 4 <= developed.k <= 10 and len(set(developed.selected) - set(true)) <= max(0, developed.k - 8)
    curve = developed.k_curve["r:criterion"]
    assert curve[developed.k] == curve.max()
    assert set(developed.keys.values()) == {1}


def test_given_k_the_true_items_are_exactly_the_selection(pool):
    items, criteria, clusters, true = pool
    result = develop_scale(items, criteria, rule=SelectionRule(k=8, criterion="criterion"),
                           clusters=clusters, n_repeats=3, n_boot=5, seed=0)
    assert set(result.selected) == set(true) and result.k_chosen_by == "given"
    assert all(result.selection_frequency[code] > 0.9 for code in true)
    # the simulated items follow a one-factor model exactly: the CFA fits
    assert result.cfa_one_factor["df"] == 20 and result.cfa_one_factor["cfi"] > 0.97
    assert result.cfa_one_factor["srmr"] < 0.05


def test_apparent_figures_exceed_corrected_and_corrected_stay_near_the_truth(developed):
    for metric in ("omega_total", "alpha", "r:criterion"):
        assert developed.optimism[metric] > 0, metric
        assert developed.corrected[metric] < developed.apparent[metric], metric
    # the simulated criterion correlates .5 with the factor; a reliable 8-item mean nearly so
    assert 0.35 < developed.corrected["r:criterion"] < 0.6
    assert developed.corrected["r:criterion"] == pytest.approx(
        developed.cross_validated["r:criterion"], abs=0.08)


def test_on_a_pool_with_no_valid_item_optimism_removes_the_spurious_validity():
    rng = np.random.default_rng(5)
    items = pd.DataFrame(rng.normal(size=(200, 40)), columns=[f"i{j:02d}" for j in range(40)])
    criteria = pd.DataFrame({"y": rng.normal(size=200)})
    rule = SelectionRule(k=5, criterion="y", min_abs_criterion_r=0.05, criterion_direction="positive")
    result = develop_scale(items, criteria, rule=rule, n_repeats=3, n_boot=60, seed=1)
    # The true validity of any selection is 0; choosing items on r inflates the apparent r.
    assert result.apparent["r:y"] > 0.1
    assert result.optimism["r:y"] > 0.05
    assert abs(result.corrected["r:y"]) < 0.1 and abs(result.cross_validated["r:y"]) < 0.15
    assert result.corrected["alpha"] < result.apparent["alpha"]


def test_reverse_worded_items_are_keyed_and_selected():
    items, criteria, clusters, true = simulate_pool(n_reversed=3, points=5, seed=2)
    result = develop_scale(items, criteria, rule=SelectionRule(k=8, criterion="criterion"),
                           clusters=clusters, n_repeats=2, n_boot=10, seed=0)
    assert set(result.selected) == set(true)
    assert sorted(result.keys[code] for code in true[-3:]) == [-1, -1, -1]
    assert result.apparent["r:criterion"] > 0.3


def test_the_same_seed_gives_the_same_result(pool):
    items, criteria, clusters, _ = pool
    rule = SelectionRule(k=6, criterion="criterion")
    runs = [develop_scale(items, criteria, rule=rule, clusters=clusters, n_repeats=2, n_boot=10,
                          seed=seed).to_dict() for seed in (7, 7, 8)]
    assert runs[0] == runs[1]
    assert runs[0]["optimism"] != runs[2]["optimism"]


def test_k_by_omega_target_takes_the_smallest_k_that_reaches_it(pool):
    items, criteria, clusters, _ = pool
    rule = SelectionRule(choose_k="omega_target", omega_target=0.85, k_min=3, k_max=10)
    result = develop_scale(items, criteria, rule=rule, clusters=clusters, n_repeats=3, n_boot=5)
    curve = result.k_curve["omega_total"]
    assert curve[result.k] >= 0.85 and (curve[curve.index < result.k] < 0.85).all()


def test_failed_targets_count_as_missing_and_are_left_out(pool):
    items, criteria, clusters, _ = pool
    items = items.copy()
    items.iloc[:10] = np.nan  # ten targets the LLM failed on
    result = develop_scale(items, criteria, rule=SelectionRule(k=8, criterion="criterion"),
                           clusters=clusters, n_repeats=2, n_boot=5)
    assert result.n == 290
    assert result.item_analysis["missing_share"].to_numpy() == pytest.approx(10 / 300)


@pytest.mark.parametrize("kwargs, message", [
    pytest.param({"rule": SelectionRule(k=40)}, "exceeds the pool", id="k-too-large"),
    pytest.param({"rule": SelectionRule(k=5, criterion="nope")}, "not among the criteria", id="criterion"),
    pytest.param({"rule": SelectionRule(k=5), "n_folds": 1}, "at least two folds", id="folds"),
    pytest.param({"rule": SelectionRule(k=5, max_missing_share=0.0, criterion="criterion"),
                  "clusters": ["a"] * 299 + [None]}, "no cluster label", id="cluster-missing"),
])
def test_bad_requests_say_why(pool, kwargs, message):
    items, criteria, _, _ = pool
    with pytest.raises(ValueError, match=message):
        develop_scale(items, criteria, n_repeats=1, n_boot=1, **kwargs)


def test_a_rule_needs_a_criterion_to_choose_k_by_validity():
    with pytest.raises(ValueError, match="needs a criterion"):
        SelectionRule()
    assert SelectionRule.from_dict(SelectionRule(k=4).to_dict()) == SelectionRule(k=4)
    with pytest.raises(ValueError, match="unknown selection rule field"):
        SelectionRule.from_dict({"k": 4, "kk": 1})


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(1, 12), min_size=3, max_size=40), n_folds=st.integers(2, 5),
       seed=st.integers(0, 10_000))
def test_grouped_folds_never_split_a_cluster(sizes, n_folds, seed):
    labels = np.repeat([f"p{i}" for i in range(len(sizes))], sizes)
    np.random.default_rng(seed).shuffle(labels)
    codes = cluster_codes(labels, len(labels))
    if len(sizes) < n_folds:
        with pytest.raises(ValueError, match="cannot fill"):
            grouped_folds(codes, n_folds, np.random.default_rng(seed))
        return
    fold = grouped_folds(codes, n_folds, np.random.default_rng(seed))
    per_cluster = pd.Series(fold).groupby(labels).nunique()
    assert (per_cluster == 1).all()
    assert set(fold) == set(range(n_folds))  # every fold is used
    boot = cluster_bootstrap_rows(codes, np.random.default_rng(seed))
    drawn = pd.Series(labels[boot]).value_counts()
    whole = pd.Series(labels).value_counts()
    assert all(drawn[c] % whole[c] == 0 for c in drawn.index)  # clusters drawn whole


def test_one_factor_fixed_point_agrees_with_psych_and_the_general_minres(bfi, r_ref):
    from psychometrics.factor import minres, minres_one_factor
    r = np.corrcoef(bfi[N_ITEMS].to_numpy(dtype=float), rowvar=False)
    np.testing.assert_allclose(minres_one_factor(r), r_ref["fa1_N"]["minres_loadings"], atol=1e-5)
    r25 = np.corrcoef(bfi.to_numpy(dtype=float), rowvar=False)
    np.testing.assert_allclose(minres_one_factor(r25), minres(r25, 1)[:, 0], atol=1e-7)


def test_the_floor_ceiling_screen_drops_an_item_piled_at_one_end(pool):
    items, criteria, clusters, true = pool
    items = items.copy()
    answers = items.round().clip(-2, 2)
    answers[true[0]] = -2.0  # every answer at the floor, whatever the continuous score says
    bounds = {code: (-2, 2) for code in items.columns}
    rule = SelectionRule(k=7, criterion="criterion", max_floor_ceiling_share=0.5)
    result = develop_scale(items, criteria, rule=rule, clusters=clusters, n_repeats=2, n_boot=5,
                           bounds=bounds, answers=answers)
    assert true[0] not in result.selected and set(result.selected) == set(true[1:])
    assert result.item_analysis.loc[true[0], "floor_share"] == 1.0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 1000), scale=st.floats(0.1, 50), shift=st.floats(-100, 100))
def test_selection_and_apparent_figures_ignore_item_order_and_a_common_rescaling(seed, scale, shift):
    items, criteria, _, _ = simulate_pool(n_targets=120, n_clusters=120, n_items=12, n_true=4, seed=seed)
    rule = SelectionRule(k=4, criterion="criterion")
    base = develop_scale(items, criteria, rule=rule, n_repeats=1, n_boot=1, seed=0)
    order = np.random.default_rng(seed).permutation(items.columns)
    moved = develop_scale(items[order] * scale + shift, criteria, rule=rule, n_repeats=1, n_boot=1, seed=0)
    assert set(moved.selected) == set(base.selected)
    for metric, value in base.apparent.items():
        assert moved.apparent[metric] == pytest.approx(value, abs=1e-8), metric


def test_when_k_is_chosen_each_bootstrap_sample_chooses_it_again():
    rng = np.random.default_rng(8)
    items = pd.DataFrame(rng.normal(size=(200, 30)), columns=[f"i{j:02d}" for j in range(30)])
    criteria = pd.DataFrame({"y": rng.normal(size=200)})
    rule = SelectionRule(criterion="y", min_abs_criterion_r=0.05, criterion_direction="positive",
                         k_min=3, k_max=6)
    result = develop_scale(items, criteria, rule=rule, n_repeats=3, n_boot=40, seed=2)
    # no item is valid: the apparent r is inflated by choosing items and k on it, the
    # correction (which repeats both choices) brings it back near the true 0
    assert result.k_chosen_by.startswith("largest mean |r|")
    assert result.apparent["r:y"] > 0.1 and abs(result.corrected["r:y"]) < 0.1
