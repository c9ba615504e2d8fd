"""Factor models that cannot be fitted are named before fitting; fits are bounded and say how
they ended; a converged fit still equals R's.

R values: reference/make_reference.R, ``psych::omega(ace, nfactors = 3, fm = "minres",
rotate = "oblimin")`` and ``psych::fa(ace, nfactors = 3, fm = "minres", rotate = "oblimin")`` on
psychTools' bfi (A1-A5, C1-C5, E1-E5, reverse-keyed, complete cases).
"""
import sys

import numpy as np
import pytest

import psychometrics as pm
from psychometrics import factor, identification
from psychometrics.cfa import _rmsea_ci

omega_module = sys.modules["psychometrics.omega"]  # the package's name `omega` is the function


def _one_factor(n: int, p: int = 10, seed: int = 3) -> np.ndarray:
    """One common factor and noise: what a 3-subscale instrument gives when its subscales
    are not distinct (the report's synthetic studies)."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=(n, 1))
    return np.clip(np.rint(3 + truth + rng.normal(0, 0.9, (n, p))), 1, 5)


SUBSCALES = {"a": ["0", "1", "2"], "b": ["3", "4", "5", "9"], "c": ["6", "7", "8"]}


@pytest.mark.parametrize("n", [pytest.param(3000, id="large-n"), pytest.param(300, id="moderate-n")])
def test_one_factor_data_with_three_group_factors_is_refused_with_the_reason(n):
    with pytest.raises(ValueError, match="fewer than 3 common factors"):
        pm.omega(_one_factor(n), subscales=SUBSCALES)


def test_noise_is_refused_by_parallel_analysis():
    x = np.random.default_rng(5).normal(size=(1000, 10))
    with pytest.raises(ValueError, match=r"stand out from sampling noise.*parallel analysis, Horn 1965"):
        pm.omega(x, n_factors=3)


def test_singular_correlation_matrix_is_refused():
    x = np.random.default_rng(1).normal(size=(8, 10))  # fewer observations than items
    with pytest.raises(ValueError, match="not positive definite"):
        pm.omega(x, n_factors=3)


def test_negative_degrees_of_freedom_are_refused():
    x = np.random.default_rng(2).normal(size=(500, 4))
    with pytest.raises(ValueError, match=r"negative degrees of freedom \(-1\)"):
        pm.omega(x, n_factors=2)


def test_a_one_item_group_factor_is_refused():
    x = np.random.default_rng(2).normal(size=(500, 6))
    with pytest.raises(ValueError, match="at least two items"):
        pm.omega(x, subscales={"a": ["0", "1", "2", "3", "4"], "b": ["5"]})


def test_converged_three_factor_fit_still_equals_psych(bfi, r_ref):
    ref = r_ref["omega_ACE"]
    assert identification.identification_problem(np.corrcoef(bfi[ref["items"]].to_numpy(), rowvar=False), 3,
                                          n_obs=len(bfi)) == ""
    res = pm.omega(bfi[ref["items"]], n_factors=3)
    assert res.converged and res.warnings == ()
    # psych::omega(ace, nfactors = 3)$omega_h / $omega.tot; psych's minres stops near 1e-6.
    assert res.omega_hierarchical == pytest.approx(ref["omega_h"], abs=1e-5)
    assert res.omega_total == pytest.approx(ref["omega_total"], abs=1e-5)
    np.testing.assert_allclose(list(res.g_loadings.values()), ref["g_loadings"], atol=1e-4)
    fit = factor.minres_fit(np.corrcoef(bfi[ref["items"]].to_numpy(), rowvar=False), 3)
    assert fit.converged and fit.heywood == () and fit.problem == "" and fit.iterations < 200
    pattern, _, rotated = factor.oblimin_fit(fit.loadings)
    assert rotated  # psych::fa(ace, 3)$loadings, up to column order and sign
    np.testing.assert_allclose(np.sort(np.abs(pattern), axis=1), np.sort(np.abs(np.array(r_ref["fa3_ACE"]["loadings"])),
                                                                          axis=1), atol=1e-4)


def test_a_diverging_heywood_case_stops_early_and_says_so():
    r = np.corrcoef(np.random.default_rng(5).normal(size=(1000, 10)), rowvar=False)
    fit = factor.minres_fit(r, 3)
    assert not fit.converged and fit.iterations < factor.MINRES_MAXITER
    assert "ultra-Heywood" in fit.problem and fit.heywood


def test_the_iteration_limit_is_reported_not_silent(bfi, r_ref):
    r = np.corrcoef(bfi[r_ref["omega_ACE"]["items"]].to_numpy(), rowvar=False)
    fit = factor.minres_fit(r, 3, maxiter=2)
    assert not fit.converged and "did not converge within 2 iterations" in fit.problem
    assert not factor.oblimin_fit(factor.minres(r, 3), maxit=1)[2]


def test_omega_from_a_fit_that_did_not_converge_carries_no_number(bfi, r_ref, monkeypatch):
    monkeypatch.setattr(omega_module, "extract_fit", lambda r, nf, fm: factor.minres_fit(r, nf, maxiter=2))
    res = pm.omega(bfi[r_ref["omega_ACE"]["items"]], n_factors=3)
    assert res.converged is False and np.isnan(res.omega_hierarchical) and np.isnan(res.omega_total)
    assert any("did not converge within 2 iterations" in w for w in res.warnings)
    out = res.to_dict()
    assert out["omega_hierarchical"] is None and out["converged"] is False


def test_cfa_needs_more_observations_than_items():
    with pytest.raises(ValueError, match="more complete observations than items, got 5"):
        pm.cfa_one_factor(np.random.default_rng(0).normal(size=(5, 6)))


def test_cfa_converged_fit_says_so(bfi, r_ref):
    res = pm.cfa_one_factor(bfi[["N1", "N2", "N3", "N4", "N5"]])
    assert res.converged and res.warnings == ()
    # lavaan::cfa("N =~ N1 + N2 + N3 + N4 + N5", std.lv = TRUE): fitMeasures cfi
    assert res.cfi == pytest.approx(r_ref["cfa_N"]["cfi"], abs=1e-6)


def test_rmsea_interval_of_an_infinite_chi_square_is_undefined_not_a_hang():
    assert all(np.isnan(v) for v in _rmsea_ci(float("inf"), 5, 100, 0.9))
