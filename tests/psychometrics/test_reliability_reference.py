"""Alpha, omega, item statistics and CFA against R (psych, lavaan) on psychTools::bfi.

Reference values come from reference/make_reference.R (versions in r_reference.json);
the data are bfi's 25 items, reverse-keyed, complete cases (n = 2436).
"""
import numpy as np
import pytest

import psychometrics as pm

N_ITEMS = ["N1", "N2", "N3", "N4", "N5"]


def test_alpha_psych(bfi, r_ref):
    ref = r_ref["alpha_N"]
    res = pm.cronbach_alpha(bfi[N_ITEMS])
    assert res.estimate == pytest.approx(ref["raw_alpha"], abs=1e-12)
    assert res.standardized == pytest.approx(ref["std_alpha"], abs=1e-12)
    assert res.ci_low == pytest.approx(ref["feldt_lower"], abs=1e-10)
    assert res.ci_high == pytest.approx(ref["feldt_upper"], abs=1e-10)
    assert res.n == r_ref["bfi_n"]


def test_item_statistics_psych(bfi, r_ref):
    ref = r_ref["alpha_N"]
    stats = pm.item_statistics(bfi[N_ITEMS])
    np.testing.assert_allclose(stats["r_drop"], ref["r_drop"], atol=1e-10)
    np.testing.assert_allclose(stats["alpha_if_dropped"], ref["alpha_if_dropped"], atol=1e-10)
    assert (stats["omega_if_dropped"] > 0).all()


def test_omega_total_one_factor_psych(bfi, r_ref):
    res = pm.omega(bfi[N_ITEMS])
    # psych's optimiser stops at about 1e-6; ours converges further.
    assert res.omega_total == pytest.approx(r_ref["fa1_N"]["omega_total_minres"], abs=1e-6)
    np.testing.assert_allclose(list(res.g_loadings.values()),
                               r_ref["fa1_N"]["minres_loadings"], atol=1e-5)
    assert res.omega_hierarchical is None and "minres" in res.method


def test_omega_hierarchical_schmid_leiman_psych(bfi, r_ref):
    ref = r_ref["omega_ACE"]
    res = pm.omega(bfi[ref["items"]], n_factors=3)
    assert res.omega_hierarchical == pytest.approx(ref["omega_h"], abs=1e-5)
    assert res.omega_total == pytest.approx(ref["omega_total"], abs=1e-5)
    np.testing.assert_allclose(list(res.g_loadings.values()), ref["g_loadings"], atol=1e-5)
    assert "Schmid-Leiman" in res.method


def test_omega_subscales_sets_group_factors(bfi, r_ref):
    ref = r_ref["omega_ACE"]
    subs = {t: [f"{t}{i}" for i in range(1, 6)] for t in "ACE"}
    res = pm.omega(bfi[ref["items"]], subscales=subs)
    assert res.n_factors == 3
    assert res.omega_hierarchical == pytest.approx(ref["omega_h"], abs=1e-5)


def test_ml_loadings_match_lavaan(bfi, r_ref):
    res = pm.omega(bfi[N_ITEMS], fm="ml")
    np.testing.assert_allclose(list(res.g_loadings.values()),
                               r_ref["cfa_N"]["std_loadings"], atol=1e-5)


def test_cfa_lavaan(bfi, r_ref):
    ref = r_ref["cfa_N"]
    res = pm.cfa_one_factor(bfi[N_ITEMS])
    assert res.chisq == pytest.approx(ref["chisq"], abs=1e-6)
    assert res.df == ref["df"]
    for ours, theirs in [("cfi", "cfi"), ("tli", "tli"), ("rmsea", "rmsea"),
                         ("rmsea_ci_low", "rmsea.ci.lower"), ("rmsea_ci_high", "rmsea.ci.upper"),
                         ("srmr", "srmr")]:
        assert getattr(res, ours) == pytest.approx(ref[theirs], abs=1e-7), ours
    assert res.baseline_chisq == pytest.approx(ref["baseline.chisq"], abs=1e-6)
    np.testing.assert_allclose(list(res.standardized_loadings.values()), ref["std_loadings"],
                               atol=1e-5)


def test_correlations_r(bfi, r_ref):
    ref = r_ref["cor_N1N2_200"]
    x, y = bfi["N1"][:200], bfi["N2"][:200]
    p = pm.pearson_r(x, y)
    assert p.estimate == pytest.approx(ref["pearson"], abs=1e-12)
    assert (p.ci_low, p.ci_high) == pytest.approx((ref["pearson_lower"], ref["pearson_upper"]),
                                                  abs=1e-10)
    assert pm.spearman_rho(x, y).estimate == pytest.approx(ref["spearman"], abs=1e-12)
    assert pm.kendall_tau(x, y).estimate == pytest.approx(ref["kendall"], abs=1e-12)
