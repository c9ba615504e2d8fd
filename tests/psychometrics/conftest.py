"""Fixtures for the psychometrics tests: reference data, no Django needed."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REFERENCE = Path(__file__).parent / "reference"

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", reliability data matrix:
# 4 observers (rows) x 12 units (columns), NaN = missing.
KRIPPENDORFF_2011 = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
    [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan],
])

# Shrout & Fleiss (1979), Table 1: 6 targets x 4 judges.
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6],
                          [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float)


def to_long(matrix: np.ndarray) -> pd.DataFrame:
    """targets x raters array -> long DataFrame (target, rater, score), NaN dropped."""
    rows = [(t, r, matrix[t, r]) for t in range(matrix.shape[0])
            for r in range(matrix.shape[1]) if not np.isnan(matrix[t, r])]
    return pd.DataFrame(rows, columns=["target", "rater", "score"])


@pytest.fixture(scope="session")
def r_ref() -> dict:
    return json.loads((REFERENCE / "r_reference.json").read_text())


@pytest.fixture(scope="session")
def bfi() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "bfi_keyed_complete.csv")


@pytest.fixture(scope="session")
def diagnoses_long() -> pd.DataFrame:
    wide = pd.read_csv(REFERENCE / "fleiss1971_diagnoses.csv")
    return wide.melt(id_vars="patient", var_name="rater", value_name="diagnosis")
