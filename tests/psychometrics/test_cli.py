"""The command line, run as a researcher would: python -m psychometrics ..."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

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
