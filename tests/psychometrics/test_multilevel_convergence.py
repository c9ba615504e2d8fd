"""The two-level omega says how its fits ended, as the factor fits do (issue 16)."""
import math

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics import multilevel

from .conftest import REFERENCE

SEPARATE = ("omega_within", "omega_between", "omega_between_block")
CONFIG = ("omega_2l", "omega_within_config", "omega_between_config")


@pytest.fixture(scope="module")
def demo():
    return pd.read_csv(REFERENCE / "demo_twolevel.csv")


def test_demo_fits_converge_and_match_comprelsem(demo, r_ref):
    res = pm.multilevel_omega(demo, cluster="cluster")
    assert res.converged and res.warnings == ()
    # semTools::compRelSEM on lavaan's Demo.twolevel (make_reference.R)
    assert res.omega_between == pytest.approx(r_ref["twolevel"]["omega_B"], abs=5e-5)


def test_a_fit_stopped_at_its_iteration_limit_is_flagged_and_gives_no_omegas(demo, monkeypatch):
    monkeypatch.setattr(multilevel, "MAXITER", 3)
    res = pm.multilevel_omega(demo, cluster="cluster")
    assert not res.converged
    assert any("iteration limit (3 iterations)" in w for w in res.warnings)
    for name in SEPARATE + CONFIG + ("icc_scale",):
        assert math.isnan(getattr(res, name)), name
    # JSON-ready: the missing omegas are null, the reasons are kept
    as_dict = res.to_dict()
    assert as_dict["omega_within"] is None and as_dict["converged"] is False


def test_only_the_omegas_of_the_fit_that_stopped_are_missing(demo, monkeypatch):
    real = multilevel._minimise
    calls = []

    def limited(fun, x0, scale, maxiter=None):
        calls.append(1)
        return real(fun, x0, scale, maxiter=3 if len(calls) == 3 else None)  # the configural fit

    monkeypatch.setattr(multilevel, "_minimise", limited)
    res = pm.multilevel_omega(demo, cluster="cluster")
    assert not res.converged and len(res.warnings) == 1 and "configural" in res.warnings[0]
    assert all(math.isnan(getattr(res, name)) for name in CONFIG)
    assert all(np.isfinite(getattr(res, name)) for name in SEPARATE + ("icc_scale",))


def test_a_negative_between_residual_variance_is_named_as_a_heywood_case():
    # Items that share all their between-cluster variance (true between residuals 0): the
    # unconstrained ML estimates scatter around 0, here two of them below.
    rng = np.random.default_rng(0)
    clusters = np.repeat(np.arange(60), 4)
    lam = np.array([0.8, 0.7, 0.6, 0.5])
    y = (rng.normal(size=(60, 1))[clusters] * 0.5 * lam + rng.normal(size=(240, 1)) * lam
         + rng.normal(0, 0.7, (240, 4)))
    res = pm.multilevel_omega(pd.DataFrame(y, columns=list("abcd")).assign(cluster=clusters),
                              cluster="cluster")
    negative = [item for item, v in res.residuals_between.items() if v < 0]
    assert res.converged and negative == ["b", "c"]
    assert any("Heywood case" in w and "between residual of b, between residual of c" in w
               for w in res.warnings)
    assert np.isfinite(res.omega_between)  # a converged improper solution keeps its numbers
