"""The command line, run as a researcher would: python -m psychometrics ..."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .conftest import KRIPPENDORFF_2011, REFERENCE, to_long

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    return subprocess.run([sys.executable, "-m", "psychometrics", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_agreement_json(tmp_path):
    path = tmp_path / "long.csv"
    to_long(KRIPPENDORFF_2011.T).to_csv(path, index=False)
    out = run("agreement", str(path), "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert abs(data["krippendorff_alpha_interval"]["estimate"] - 0.849) < 5e-4
    assert "rated only once" in data["icc"]["error"]


def test_reliability_table(tmp_path):
    path = tmp_path / "wide.csv"
    pd.read_csv(REFERENCE / "bfi_keyed_complete.csv")[["N1", "N2", "N3", "N4", "N5"]].to_csv(
        path, index=False)
    out = run("reliability", str(path))
    assert out.returncode == 0, out.stderr
    assert "alpha" in out.stdout and "0.8169" in out.stdout


def test_validity_json_and_bad_file(tmp_path):
    path = tmp_path / "v.csv"
    rng = np.random.default_rng(0)
    a = rng.normal(size=50)
    pd.DataFrame({"target": range(50), "human": a, "llm": a + rng.normal(size=50)}).to_csv(
        path, index=False)
    out = run("validity", str(path), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert "pearson_r" in json.loads(out.stdout)["human vs llm"]
    bad = run("validity", str(tmp_path / "missing.csv"))
    assert bad.returncode == 2 and "error" in bad.stderr


@pytest.mark.slow
def test_agreement_wide_file(tmp_path, r_ref):
    # irr's layout: one column per rater, one row per target (Fleiss 1971 diagnoses).
    out = run("agreement", str(REFERENCE / "fleiss1971_diagnoses.csv"), "--target", "patient",
              "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["layout"].startswith("wide: 6 rater columns")
    assert abs(data["fleiss_kappa_test"]["estimate"] - r_ref["irr_diagnoses"]["fleiss_kappa"]) < 1e-12
    assert abs(data["fleiss_kappa_test"]["z"] - r_ref["irr_diagnoses"]["fleiss_z"]) < 1e-9
    assert abs(data["all_rater_agreement"]["percent"] - r_ref["irr_diagnoses"]["agree"]) < 1e-9


@pytest.mark.slow
def test_agreement_wide_without_target_column_says_what_is_expected(tmp_path):
    path = tmp_path / "wide.csv"
    pd.DataFrame({"a": [1, 2, 3], "b": [1, 2, 2]}).to_csv(path, index=False)
    out = run("agreement", str(path))
    assert out.returncode == 2
    assert "--target COLUMN" in out.stderr and "--layout wide" in out.stderr
    assert "KeyError" not in out.stderr and "error: 'rater'" not in out.stderr
    ok = run("agreement", str(path), "--layout", "wide", "--format", "json")
    assert ok.returncode == 0, ok.stderr
    assert "rows numbered as targets" in json.loads(ok.stdout)["layout"]


@pytest.mark.slow
def test_agreement_drop_single_rated(tmp_path):
    # Krippendorff (2011) has one unit rated once: the ICC runs when asked to drop it.
    path = tmp_path / "wide.csv"
    wide = pd.DataFrame(KRIPPENDORFF_2011.T, columns=["A", "B", "C", "D"])
    wide.insert(0, "target", range(len(wide)))
    wide.to_csv(path, index=False)
    out = run("agreement", str(path), "--drop-single-rated", "--format", "json")
    assert out.returncode == 0, out.stderr
    icc = json.loads(out.stdout)["icc"]
    assert icc["n_dropped"] == 1 and icc["n"] == 11 and "rated only once dropped" in icc["method"]


@pytest.mark.slow
def test_reliability_multilevel(tmp_path, r_ref):
    out = run("reliability", str(REFERENCE / "demo_twolevel.csv"), "--cluster", "cluster",
              "--format", "json")
    assert out.returncode == 0, out.stderr
    ml = json.loads(out.stdout)["multilevel_omega"]
    assert abs(ml["omega_between"] - r_ref["twolevel"]["omega_B"]) < 5e-5
    assert ml["n_clusters"] == 200 and ml["converged"] is True and ml["warnings"] == []


@pytest.mark.slow
def test_reliability_multilevel_table_prints_the_fit_warnings(tmp_path):
    # Items sharing all their between-cluster variance: two between residuals estimate below 0
    # (the data of test_multilevel_convergence's Heywood case).
    rng = np.random.default_rng(0)
    clusters = np.repeat(np.arange(60), 4)
    lam = np.array([0.8, 0.7, 0.6, 0.5])
    y = (rng.normal(size=(60, 1))[clusters] * 0.5 * lam + rng.normal(size=(240, 1)) * lam
         + rng.normal(0, 0.7, (240, 4)))
    path = tmp_path / "nested.csv"
    pd.DataFrame(y, columns=list("abcd")).assign(patient=clusters).to_csv(path, index=False)
    out = run("reliability", str(path), "--cluster", "patient")
    assert out.returncode == 0, out.stderr
    assert "multilevel_omega warning: The separate one-factor two-level model is an improper " \
           "solution (a Heywood case)" in out.stdout
