"""python -m psychometrics stand-in FILE, run as a researcher would."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]


def _long_csv(path, n=120, share=0.5, seed=0):
    rng = np.random.default_rng(seed)
    truth = rng.normal(3, 1, size=n)
    criterion = 0.5 * truth + rng.normal(size=n)
    rows = []
    rated = rng.random(n) < share
    for i in range(n):
        for item, shift in (("a", 0.0), ("b", 0.3)):
            if rated[i]:
                for h in range(3):
                    rows.append((f"T{i}", f"human-{h}", "human", item, round(truth[i] + shift + rng.normal(0, .5)),
                                 f"P{i // 4}", criterion[i]))
            rows.append((f"T{i}", "judge", "llm", item, truth[i] + shift + 0.4 + rng.normal(0, .3), f"P{i // 4}",
                         criterion[i]))
    pd.DataFrame(rows, columns=["target", "rater", "rater_kind", "item", "score", "patient",
                                "criterion:outcome"]).to_csv(path, index=False)


def run(*args):
    return subprocess.run([sys.executable, "-m", "psychometrics", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_stand_in_json(tmp_path):
    path = tmp_path / "long.csv"
    _long_csv(path)
    out = run("stand-in", str(path), "--format", "json", "--cluster", "patient", "--n-boot", "200")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for code in ("a", "b"):
        entry = data["llm"]["judge"][code]
        assert entry["epsilon"] == 0.2 and entry["passes"] in (True, False)
        assert 0 <= entry["winning_rate"] <= 1 and 0 <= entry["advantage_probability"] <= 1
        assert entry["ppi_mean"]["clustered"] is True and entry["ppi_mean"]["width_ratio"] < 1
        assert "outcome" in entry["ppi_criteria"]
        assert entry["sentence"].startswith("judge ")
    assert data["settings"]["assumption"].startswith("the human-rated targets are a random sample")


def test_stand_in_table_and_errors(tmp_path):
    path = tmp_path / "long.csv"
    _long_csv(path)
    out = run("stand-in", str(path), "--epsilon", "0.1", "--n-boot", "100")
    assert out.returncode == 0, out.stderr
    assert "alt-test:" in out.stdout and "ε 0.1" in out.stdout
    bad = tmp_path / "bad.csv"
    pd.read_csv(path).drop(columns=["rater_kind"]).to_csv(bad, index=False)
    out = run("stand-in", str(bad))
    assert out.returncode == 2 and "rater_kind" in out.stderr
