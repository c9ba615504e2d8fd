"""Issue 16: the statistics psych, irr, irrCAC and semTools report, against R's values.

Every number comes from reference/make_reference.R (versions recorded in r_reference.json:
R 4.2.2, psych 2.2.9, lavaan 0.6.14, semTools 0.5.6, irr 0.84.1 and irrCAC 1.0 from their
R sources) or, where marked, from irrCAC's published examples.
"""
import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.multirater import _doctest_raw4raters

N_ITEMS = ["N1", "N2", "N3", "N4", "N5"]


# --- psych::alpha ---------------------------------------------------------------------
def test_alpha_psych_total_row(bfi, r_ref):
    # psych::alpha(neuro)$total: G6(smc), average_r, S/N, ase, median_r; Duhachek interval.
    ref = r_ref["alpha_N_extra"]
    res = pm.cronbach_alpha(bfi[N_ITEMS])
    assert res.g6 == pytest.approx(ref["G6"], abs=1e-12)
    assert res.average_r == pytest.approx(ref["average_r"], abs=1e-12)
    assert res.signal_noise == pytest.approx(ref["signal_noise"], abs=1e-10)
    assert res.median_r == pytest.approx(ref["median_r"], abs=1e-12)
    assert res.standard_error == pytest.approx(ref["ase"], abs=1e-12)
    # psych prints alpha +- 1.96 ase; we use the exact normal quantile (1.959964).
    assert res.duhachek_low == pytest.approx(ref["duhachek_lower"], abs=1e-6)
    assert res.duhachek_high == pytest.approx(ref["duhachek_upper"], abs=1e-6)
    assert "Duhachek" in res.method and "pairwise" in res.method


def test_alpha_psych_alpha_drop_table(bfi, r_ref):
    ref = r_ref["alpha_N_extra"]
    stats = pm.item_statistics(bfi[N_ITEMS], with_omega=False)
    for col, key in [("alpha_if_dropped", "drop_raw_alpha"), ("std_alpha_if_dropped", "drop_std_alpha"),
                     ("g6_if_dropped", "drop_G6"), ("average_r_if_dropped", "drop_average_r"),
                     ("signal_noise_if_dropped", "drop_signal_noise"),
                     ("alpha_se_if_dropped", "drop_alpha_se"), ("var_r_if_dropped", "drop_var_r"),
                     ("median_r_if_dropped", "drop_median_r")]:
        np.testing.assert_allclose(stats[col], ref[key], atol=1e-10, err_msg=col)


def test_alpha_constant_item_refused_or_dropped_as_psych(bfi, r_ref):
    data = bfi[N_ITEMS].assign(K=3)
    with pytest.raises(ValueError, match="constant"):
        pm.cronbach_alpha(data)
    res = pm.cronbach_alpha(data, constant_items="drop")
    # psych::alpha(cbind(neuro, K = 3)) drops K with a warning and reports the N alpha.
    assert res.estimate == pytest.approx(r_ref["alpha_N_const"]["raw_alpha"], abs=1e-12)
    assert res.n_items == r_ref["alpha_N_const"]["nvar"]
    assert res.dropped_items == ("K",) and "dropped" in res.method


# --- psych::omega -----------------------------------------------------------------------
def test_omega_psych_extras_three_factors(bfi, r_ref):
    ref = r_ref["omega_ACE_extra"]
    res = pm.omega(bfi[r_ref["omega_ACE"]["items"]], n_factors=3)
    # Same tolerance as the existing omega_h test (psych's minres stops near 1e-6).
    assert res.omega_limit == pytest.approx(ref["omega_lim"], abs=1e-5)
    assert res.ecv == pytest.approx(ref["ECV"], abs=1e-5)
    assert res.g6 == pytest.approx(ref["G6"], abs=1e-10)
    assert res.psych_omega_h == pytest.approx(res.omega_hierarchical, abs=1e-15)
    groups = res.omega_group
    assert groups.loc["g", "total"] == pytest.approx(ref["group_total"][0], abs=1e-5)
    assert groups.loc["g", "general"] == pytest.approx(ref["group_general"][0], abs=1e-5)
    assert groups.loc["g", "group"] == pytest.approx(ref["group_group"][0], abs=1e-5)
    # psych's F1*..F3* come in its own factor order: compare as sets of rows.
    ours = sorted(groups.drop(index="g")[["total", "general", "group"]].itertuples(index=False))
    theirs = sorted(zip(ref["group_total"][1:], ref["group_general"][1:], ref["group_group"][1:]))
    np.testing.assert_allclose(np.array(ours), np.array(theirs), atol=1e-5)


def test_omega_psych_variance_shares(bfi, r_ref):
    # print(psych::omega(...)): "With Sums of squares of", general/max, max/min, mean p2.
    ref = r_ref["omega_ACE_extra"]
    shares = pm.omega(bfi[r_ref["omega_ACE"]["items"]], n_factors=3).variance_shares
    ss = shares["sums_of_squares"]
    # Sums of squared loadings carry psych's minres stopping error (about 1e-5) twice over.
    assert ss["g"] == pytest.approx(ref["sums_of_squares"][0], abs=5e-5)
    np.testing.assert_allclose(sorted(v for k, v in ss.items() if k != "g"),
                               sorted(ref["sums_of_squares"][1:]), atol=5e-5)
    assert shares["general_max"] == pytest.approx(
        ref["sums_of_squares"][0] / max(ref["sums_of_squares"][1:]), abs=1e-4)
    assert shares["max_min"] == pytest.approx(
        max(ref["sums_of_squares"][1:]) / min(ref["sums_of_squares"][1:]), abs=1e-4)
    assert shares["mean_percent_general"] == pytest.approx(ref["mean_p2"], abs=1e-5)
    assert shares["sd_percent_general"] == pytest.approx(ref["sd_p2"], abs=1e-5)


def test_omega_psych_one_factor_omega_h(bfi, r_ref):
    ref = r_ref["omega_N_one"]
    res = pm.omega(bfi[N_ITEMS])
    assert res.omega_hierarchical is None  # not meaningful for one factor
    assert res.psych_omega_h == pytest.approx(ref["omega_h"], abs=1e-6)
    assert res.omega_limit == pytest.approx(ref["omega_lim"], abs=1e-6)
    assert res.ecv == pytest.approx(ref["ECV"], abs=1e-12)
    assert res.g6 == pytest.approx(ref["G6"], abs=1e-12)


def test_omega_too_many_factors_refused():
    x = np.random.default_rng(0).normal(size=(50, 5))
    with pytest.raises(ValueError, match="cannot be fitted"):
        pm.omega(x, n_factors=3)


# --- cor.test, compRelSEM -----------------------------------------------------------------
def test_pearson_t_and_df(bfi, r_ref):
    ref = r_ref["cor_N1N2_200"]
    res = pm.pearson_r(bfi["N1"][:200], bfi["N2"][:200])
    assert res.statistic == pytest.approx(ref["pearson_t"], rel=1e-12)
    assert res.df == ref["pearson_df"]
    assert res.pvalue == pytest.approx(ref["pearson_p"], rel=1e-6)


def test_spearman_interval_options(bfi):
    x, y = bfi["N1"][:200], bfi["N2"][:200]
    fieller = pm.spearman_rho(x, y)
    fisher = pm.spearman_rho(x, y, interval="fisher")
    assert fisher.estimate == fieller.estimate
    z = np.arctanh(fisher.estimate)
    assert fisher.ci_low == pytest.approx(np.tanh(z - 1.959963984540054 / np.sqrt(197)), abs=1e-12)
    assert fieller.ci_low < fisher.ci_low and "Fieller" in fieller.method
    assert "plain Fisher" in fisher.method


def test_cfa_observed_omega_comprelsem(bfi, r_ref):
    # semTools::compRelSEM(fit) (obs.var = TRUE) and obs.var = FALSE on the N items.
    res = pm.cfa_one_factor(bfi[N_ITEMS])
    assert res.omega_observed == pytest.approx(r_ref["compRelSEM_N"]["omega"], abs=1e-6)
    assert res.omega_total == pytest.approx(r_ref["compRelSEM_N"]["omega_model"], abs=1e-6)


# --- irr --------------------------------------------------------------------------------
@pytest.fixture
def diagnoses(diagnoses_long):
    return diagnoses_long.rename(columns={"patient": "target", "diagnosis": "score"})


def test_cohen_kappa_z_irr_kappa2(diagnoses, r_ref):
    ref = r_ref["irr_diagnoses"]
    wide = diagnoses.pivot(index="target", columns="rater", values="score")
    res = pm.cohen_kappa(wide["rater1"], wide["rater2"])
    assert res.estimate == pytest.approx(ref["kappa2_12"], abs=1e-12)
    assert res.z == pytest.approx(ref["kappa2_12_z"], abs=1e-10)
    assert res.pvalue == pytest.approx(ref["kappa2_12_p"], rel=1e-6)


def test_fleiss_kappa_test_irr(diagnoses, r_ref):
    ref = r_ref["irr_diagnoses"]
    res = pm.fleiss_kappa_test(diagnoses)
    assert res.estimate == pytest.approx(ref["fleiss_kappa"], abs=1e-12)
    assert res.z == pytest.approx(ref["fleiss_z"], abs=1e-10)
    assert res.pvalue < 1e-50 and res.n == 30 and res.n_dropped == 0
    assert list(res.categories.index) == ref["detail_levels"]
    # irr prints the detail table rounded to 3 decimals.
    np.testing.assert_allclose(res.categories["kappa"], ref["detail_kappa"], atol=5e-4)
    np.testing.assert_allclose(res.categories["z"], ref["detail_z"], atol=5e-4)
    np.testing.assert_allclose(res.categories["pvalue"], ref["detail_p"], atol=5e-4)


def test_fleiss_exact_is_conger(diagnoses, r_ref):
    ref = r_ref["irr_diagnoses"]["fleiss_exact"]
    assert pm.fleiss_kappa_test(diagnoses, exact=True).estimate == pytest.approx(ref, abs=1e-12)
    # irrCAC's conger.kappa.raw on the same (complete) data gives the same estimate.
    conger = pm.conger_kappa(diagnoses)
    assert conger.estimate == pytest.approx(ref, abs=1e-12)
    rc = r_ref["irrcac_diagnoses_conger"]
    assert conger.standard_error == pytest.approx(rc["coeff.se"], abs=1e-12)
    assert conger.ci_low == pytest.approx(rc["lcb"], abs=1e-12)
    assert conger.ci_high == pytest.approx(rc["ucb"], abs=1e-12)
    assert conger.pvalue == pytest.approx(rc["p.value"], rel=1e-6)


def test_fleiss_kappa_test_drops_incomplete_targets(diagnoses):
    cut = diagnoses[~((diagnoses.target == 1) & (diagnoses.rater == "rater3"))]
    res = pm.fleiss_kappa_test(cut)
    assert res.n == 29 and res.n_dropped == 1 and "1 target(s) with a missing" in res.method


def test_light_kappa(diagnoses, r_ref):
    ref = r_ref["irr_diagnoses"]
    res = pm.light_kappa(diagnoses)
    assert res.estimate == pytest.approx(ref["psych_av_kappa"], abs=1e-12)
    # irr's z uses the same variance with its (mislabelled) estimate: z scales with it.
    assert res.z * ref["light_kappa"] / res.estimate == pytest.approx(ref["light_z"], abs=1e-10)
    assert len(res.pairwise) == 15


def test_all_rater_agreement_irr_agree(diagnoses, r_ref):
    res = pm.all_rater_agreement(diagnoses)
    assert res.percent == pytest.approx(r_ref["irr_diagnoses"]["agree"], abs=1e-12)
    assert res.percent < 100 * pm.percent_agreement(diagnoses).estimate  # pairwise is larger


@pytest.mark.parametrize("tolerance,key", [(0, "agree_0"), (4, "agree_4"), (5, "agree_5")])
def test_all_rater_agreement_tolerance(tolerance, key, r_ref):
    from tests.psychometrics.conftest import SHROUT_FLEISS, to_long
    res = pm.all_rater_agreement(to_long(SHROUT_FLEISS), tolerance=tolerance)
    assert res.percent == pytest.approx(r_ref["irr_sf"][key], abs=1e-12)


# --- irrCAC -------------------------------------------------------------------------------
# Published in irrCAC's examples on cac.raw4raters (Python port's tests of irrCAC 1.0's values,
# 3 decimals / 5 for p): Fleiss p 0.00042, AC1 p 0.00021, AC2 (quadratic) p 3e-06.
@pytest.mark.parametrize("fn,kwargs,p", [
    pytest.param(pm.fleiss_kappa, {}, 0.00042, id="fleiss"),
    pytest.param(pm.gwet_ac1, {}, 0.00021, id="ac1"),
    pytest.param(pm.gwet_ac2, {"weights": "linear"}, 2e-05, id="ac2-linear"),
    pytest.param(pm.gwet_ac2, {"weights": "quadratic"}, 3e-06, id="ac2-quadratic"),
])
def test_irrcac_pvalues(fn, kwargs, p):
    res = fn(_doctest_raw4raters(), **kwargs)
    assert round(res.pvalue, 5 if p >= 1e-5 else 6) == pytest.approx(p, abs=1e-12)
    assert res.statistic == pytest.approx(res.estimate / res.standard_error, rel=1e-12)


@pytest.mark.parametrize("key,weights", [("conger", "none"), ("conger_quadratic", "quadratic")])
def test_conger_irrcac(key, weights, r_ref):
    ref = r_ref["irrcac_raw4"][key]
    res = pm.conger_kappa(_doctest_raw4raters(), weights=weights)
    assert res.observed_agreement == pytest.approx(ref["pa"], abs=1e-12)
    assert res.expected_agreement == pytest.approx(ref["pe"], abs=1e-12)
    assert res.estimate == pytest.approx(ref["coeff.val"], abs=1e-12)
    assert res.standard_error == pytest.approx(ref["coeff.se"], abs=1e-12)
    assert res.ci_low == pytest.approx(ref["lcb"], abs=1e-12)
    assert res.ci_high == ref["ucb"] == 1 and "clipped" in res.method
    assert res.pvalue == pytest.approx(ref["p.value"], rel=1e-8)


@pytest.mark.parametrize("key,level", [("krippen", "nominal"), ("krippen_quadratic", "interval")])
def test_krippendorff_gwet_irrcac(key, level, r_ref):
    ref = r_ref["irrcac_raw4"][key]
    res = pm.krippendorff_alpha_gwet(_doctest_raw4raters(), level=level)
    assert res.estimate == pytest.approx(ref["coeff.val"], abs=1e-12)
    assert res.estimate == pytest.approx(
        pm.krippendorff_alpha(_doctest_raw4raters(), level=level).estimate, abs=1e-12)
    assert res.standard_error == pytest.approx(ref["coeff.se"], abs=1e-12)
    assert res.ci_low == pytest.approx(ref["lcb"], abs=1e-12)
    assert res.pvalue == pytest.approx(ref["p.value"], rel=1e-8)


@pytest.mark.parametrize("level", ["ordinal", "ratio"])
def test_krippendorff_gwet_estimate_equals_krippendorff(level):
    ours = pm.krippendorff_alpha_gwet(_doctest_raw4raters(), level=level)
    assert ours.estimate == pytest.approx(
        pm.krippendorff_alpha(_doctest_raw4raters(), level=level).estimate, abs=1e-12)
    # irrCAC's ratio weights give alpha 0.797, se 0.140, lower 0.484 (published example).
    if level == "ratio":
        assert (round(ours.estimate, 3), round(ours.standard_error, 3),
                round(ours.ci_low, 3)) == (0.797, 0.140, 0.484)


# --- semTools::compRelSEM on a two-level CFA (lavaan's Demo.twolevel, y1-y3) -------------
@pytest.fixture(scope="module")
def twolevel():
    from tests.psychometrics.conftest import REFERENCE
    data = pd.read_csv(REFERENCE / "demo_twolevel.csv")
    return pm.multilevel_omega(data, cluster="cluster")


def test_multilevel_fit_matches_lavaan(twolevel, r_ref):
    ref = r_ref["twolevel"]
    assert twolevel.n == ref["n"] and twolevel.n_clusters == ref["clusters"]
    # Same maximum of the likelihood as lavaan (its optimiser's tolerance, about 1e-6).
    assert twolevel.loglik == pytest.approx(ref["loglik"], abs=1e-5)
    assert twolevel.loglik_config == pytest.approx(ref["config_loglik"], abs=1e-5)
    np.testing.assert_allclose(list(twolevel.loadings_within.values()), ref["lambda_within"], atol=1e-4)
    np.testing.assert_allclose(list(twolevel.loadings_between.values()), ref["lambda_between"], atol=1e-4)
    np.testing.assert_allclose(list(twolevel.residuals_within.values()), ref["theta_within"], atol=1e-4)
    np.testing.assert_allclose(list(twolevel.residuals_between.values()), ref["theta_between"], atol=1e-4)
    # lavaan's saturated model (EM) stops earlier than ours: our maximum is at least as high.
    assert twolevel.loglik_saturated >= ref["h1_loglik"] - 1e-9
    np.testing.assert_allclose(twolevel.sigma_within, ref["sampstat_within"], atol=3e-4)
    np.testing.assert_allclose(twolevel.sigma_between, ref["sampstat_between"], atol=3e-4)
    assert twolevel.mean_inverse_cluster_size == pytest.approx(ref["mean_inverse_cluster_size"], abs=1e-15)


@pytest.mark.parametrize("ours,theirs", [
    ("omega_within", "omega_within_block"), ("omega_between_block", "omega_between_block"),
    ("omega_between", "omega_B"), ("icc_scale", "IRR"), ("omega_within_config", "config_omega_W"),
    ("omega_2l", "config_omega_2L"), ("omega_between_config", "config_omega_B")])
def test_multilevel_omega_comprelsem(twolevel, r_ref, ours, theirs):
    # The denominators use lavaan's saturated-model covariances, known to about 2e-4 there.
    assert getattr(twolevel, ours) == pytest.approx(r_ref["twolevel"][theirs], abs=5e-5)


def test_multilevel_omega_listwise_and_errors():
    from tests.psychometrics.conftest import REFERENCE
    data = pd.read_csv(REFERENCE / "demo_twolevel.csv")
    data.loc[0, "y1"] = np.nan
    res = pm.multilevel_omega(data, cluster="cluster", items=["y1", "y2", "y3"])
    assert res.n_dropped == 1 and res.n == 2499 and "1 row(s)" in res.method
    with pytest.raises(ValueError, match="at least three items"):
        pm.multilevel_omega(data, cluster="cluster", items=["y1", "y2"])
    with pytest.raises(ValueError, match="not in the data"):
        pm.multilevel_omega(data, cluster="patient")


# --- ICC on the data users have (issue 22): targets rated once, incomplete designs ----------
def _sf_plus(extra_rows):
    from tests.psychometrics.conftest import SHROUT_FLEISS, to_long
    return to_long(np.vstack([SHROUT_FLEISS] + [np.array([r], dtype=float) for r in extra_rows]))


@pytest.mark.parametrize("kwargs,dropped", [
    pytest.param({"single_rated": "drop"}, 2, id="drop-single-rated"),
    pytest.param({"incomplete": "listwise"}, 3, id="listwise"),
])
def test_icc_drops_targets_with_a_count(kwargs, dropped, r_ref):
    # Shrout & Fleiss (1979) plus two targets rated once and one rated by two judges.
    data = _sf_plus([[5, np.nan, np.nan, np.nan], [np.nan, 3, np.nan, np.nan], [4, 5, np.nan, np.nan]])
    with pytest.raises(ValueError, match="single_rated='drop'"):
        pm.icc(data)
    res = pm.icc(data, **kwargs)
    assert res.n_dropped == dropped and f"{dropped} target(s)" in res.method
    if kwargs.get("incomplete") == "listwise":
        # Only the six complete targets remain: psych::ICC(sf) exactly.
        np.testing.assert_allclose([f.estimate for f in res.forms], r_ref["icc_sf"]["ICC"], atol=1e-12)
        assert res.balanced
    else:
        assert res.n == 7 and not res.balanced and "design-based" in res.method
        assert all(f"{dropped} target(s) rated only once dropped" in f.method for f in res.forms)


# --- invariances that tie the new statistics to the established ones ------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_SETTINGS = settings(max_examples=20, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


def _ratings(seed, n, k, missing):
    from tests.psychometrics.conftest import to_long
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 5, size=(n, k)).astype(float)
    x[:, 1] = np.where(rng.random(n) < 0.6, x[:, 0], x[:, 1])  # some agreement
    x[rng.random((n, k)) < missing] = np.nan
    return to_long(x)


@_SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(8, 40), k=st.integers(3, 5))
def test_conger_equals_irr_exact_on_complete_data(seed, n, k):
    data = _ratings(seed, n, k, 0.0)
    try:
        exact = pm.fleiss_kappa_test(data, exact=True).estimate
    except ValueError:
        return  # a single category: both refuse
    assert pm.conger_kappa(data).estimate == pytest.approx(exact, abs=1e-12)


@_SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(8, 40), k=st.integers(2, 5),
       level=st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_krippendorff_gwet_form_equals_coincidence_form(seed, n, k, level):
    data = _ratings(seed, n, k, 0.2)
    try:
        ref = pm.krippendorff_alpha(data, level=level).estimate
        ours = pm.krippendorff_alpha_gwet(data, level=level).estimate
    except ValueError as exc:
        # Both undefined, or a single pairable unit: alpha exists, its standard error not.
        assert "undefined" in str(exc)
        return
    assert ours == pytest.approx(ref, abs=1e-10)


@_SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(8, 40))
def test_fleiss_test_estimate_equals_fleiss_on_complete_data(seed, n):
    data = _ratings(seed, n, 4, 0.0)
    try:
        ref = pm.fleiss_kappa(data).estimate
    except ValueError:
        return
    assert pm.fleiss_kappa_test(data).estimate == pytest.approx(ref, abs=1e-12)
