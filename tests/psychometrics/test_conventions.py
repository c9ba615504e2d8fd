"""Issue 16's conventions: every result's method states how incomplete targets are treated,
every exported function carries numpydoc sections and a doctest, and the per-code kappas are
irr's ``detail = TRUE`` table."""
import importlib
import inspect

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
import psychometrics.scale_development as sd

from .conftest import KRIPPENDORFF_2011, REFERENCE, to_long

# Public functions of the statistics modules, the factor-analysis building blocks and the
# stand-in package (the command lines, _base, bootstrap.py and stand_in._resample are outside
# this check). Imported by name: the package's `icc`, `omega` and `icc_oneway` are functions
# that shadow their modules.
STATISTICS_MODULES = tuple(importlib.import_module(f"psychometrics.{name}") for name in (
    "calibration", "cac", "cfa", "coding", "consistency", "factor", "icc", "icc_oneway",
    "identification", "kappa", "kappa_multi", "krippendorff", "multilevel", "multirater", "omega",
    "proportion", "rotation", "validity", "scale_development.develop",
    "scale_development.evaluate", "scale_development.folds", "scale_development.item_analysis",
    "scale_development.rule", "scale_development.simulate", "stand_in.active_sampling",
    "stand_in.alt_test", "stand_in.analysis", "stand_in.human_ceiling", "stand_in.ppi",
    "stand_in.ppi_pearson", "stand_in.verdict"))
SECTIONS = ("Parameters", "Returns", "References", "Examples")


def _public_functions():
    seen = {}
    for module in (pm, sd):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                seen[obj] = f"{obj.__module__}.{name}"
    for module in STATISTICS_MODULES:
        for name, obj in vars(module).items():
            if inspect.isfunction(obj) and not name.startswith("_") \
                    and obj.__module__ == module.__name__:
                seen.setdefault(obj, f"{module.__name__}.{name}")
    return [pytest.param(fn, id=label) for fn, label in seen.items()]


@pytest.mark.parametrize("fn", _public_functions())
def test_public_function_has_numpydoc_sections_and_a_doctest(fn):
    doc = inspect.getdoc(fn) or ""
    missing = [s for s in SECTIONS if f"\n{s}\n{'-' * len(s)}\n" not in doc]
    assert not missing, f"{fn.__qualname__} lacks {missing}"
    assert ">>> " in doc.split("Examples\n--------\n", 1)[1], f"{fn.__qualname__} has no doctest"


# --- each result's method names the treatment of incomplete targets --------------------------
KRIPP = to_long(KRIPPENDORFF_2011.T)  # 12 units, missing ratings, unit 12 rated once


def _items_with_gaps():
    items = pd.read_csv(REFERENCE / "bfi_keyed_complete.csv")[["N1", "N2", "N3", "N4", "N5"]].head(300)
    items.iloc[::7, 0] = np.nan
    return items


PAIR_X = [1.0, 2, 3, 4, 5, 6, np.nan, 8]
PAIR_Y = [2.0, 1, 4, 3, 6, 5, 7, np.nan]


@pytest.mark.parametrize("compute,phrase", [
    pytest.param(lambda: pm.cronbach_alpha(_items_with_gaps()), "pairwise covariances", id="alpha"),
    pytest.param(lambda: pm.omega(_items_with_gaps()), "pairwise correlations", id="omega"),
    pytest.param(lambda: pm.cfa_one_factor(_items_with_gaps()), "listwise deletion", id="cfa"),
    pytest.param(lambda: pm.icc(KRIPP, single_rated="drop"), "every rating used (design-based)",
                 id="icc"),
    pytest.param(lambda: pm.icc(KRIPP, incomplete="listwise"), "not rated by every rater dropped",
                 id="icc-listwise"),
    pytest.param(lambda: pm.icc_oneway(KRIPP), "every rating used", id="icc-oneway"),
    pytest.param(lambda: pm.cohen_kappa(PAIR_X, PAIR_Y), "missing either rating dropped", id="cohen"),
    pytest.param(lambda: pm.fleiss_kappa(KRIPP), "targets rated once enter the category margins",
                 id="fleiss"),
    pytest.param(lambda: pm.gwet_ac1(KRIPP), "targets rated once enter the category margins",
                 id="ac1"),
    pytest.param(lambda: pm.gwet_ac2(KRIPP), "targets rated once enter the category margins",
                 id="ac2"),
    pytest.param(lambda: pm.percent_agreement(KRIPP), "targets rated once left out", id="pa"),
    pytest.param(lambda: pm.conger_kappa(KRIPP), "targets rated once count in the rater margins",
                 id="conger"),
    pytest.param(lambda: pm.krippendorff_alpha(KRIPP), "pairable units only", id="kripp"),
    pytest.param(lambda: pm.krippendorff_alpha_gwet(KRIPP), "pairable targets only",
                 id="kripp-gwet"),
    pytest.param(lambda: pm.fleiss_kappa_test(KRIPP), "complete targets only: 4 target(s)",
                 id="fleiss-test"),
    pytest.param(lambda: pm.light_kappa(KRIPP), "complete targets only: 4 target(s)", id="light"),
    pytest.param(lambda: pm.all_rater_agreement(KRIPP), "complete targets only: 4 target(s)",
                 id="agree"),
    pytest.param(lambda: pm.pearson_r(PAIR_X, PAIR_Y), "pairs with a missing value dropped",
                 id="pearson"),
    pytest.param(lambda: pm.spearman_rho(PAIR_X, PAIR_Y), "pairs with a missing value dropped",
                 id="spearman"),
    pytest.param(lambda: pm.kendall_tau(PAIR_X, PAIR_Y), "pairs with a missing value dropped",
                 id="kendall"),
    pytest.param(lambda: pm.disattenuated_r(PAIR_X, PAIR_Y, reliability_x=0.9, reliability_y=0.9),
                 "pairs with a missing value dropped", id="disattenuated"),
    pytest.param(lambda: pm.bland_altman(PAIR_X, PAIR_Y), "pairs with a missing value dropped",
                 id="bland-altman"),
    pytest.param(lambda: pm.mean_absolute_error(PAIR_X, PAIR_Y), "pairs with a missing value dropped",
                 id="mae"),
    pytest.param(lambda: pm.brier_score([[0.5, 0.5], [0.9, 0.1]], [1, 2]), "missing values refused",
                 id="brier"),
    pytest.param(lambda: pm.expected_calibration_error([[0.5, 0.5], [0.9, 0.1]], [1, 2]),
                 "missing values refused", id="ece"),
    pytest.param(lambda: pm.confusion_matrix(KRIPP[KRIPP.rater < 2]), "segments coded by both",
                 id="confusion"),
])
def test_method_states_the_treatment_of_incomplete_targets(compute, phrase):
    assert phrase in compute().method


def test_multilevel_method_states_listwise():
    data = pd.read_csv(REFERENCE / "demo_twolevel.csv").head(600)
    data.loc[3, "y2"] = np.nan
    assert "listwise: 1 row(s) with a missing item dropped" in \
        pm.multilevel_omega(data, cluster="cluster").method


# --- per-code kappa: irr::kappam.fleiss(detail = TRUE) -----------------------------------
def test_per_code_kappa_is_irr_detail(diagnoses_long, r_ref):
    ref = r_ref["irr_diagnoses"]
    data = diagnoses_long.rename(columns={"patient": "target", "diagnosis": "score"})
    kappas = pm.per_code_kappa(data)
    assert list(kappas) == ref["detail_levels"]
    ours = [k.estimate for k in kappas.values()]
    # The same kappas as kappam.fleiss's detail table (printed there to 3 decimals).
    np.testing.assert_allclose(ours, pm.fleiss_kappa_test(data).categories["kappa"], atol=1e-12)
    np.testing.assert_allclose(ours, ref["detail_kappa"], atol=5e-4)
