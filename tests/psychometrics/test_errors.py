"""Bad input raises ValueError with a sentence naming the problem."""
import numpy as np
import pandas as pd
import pytest

import psychometrics as pm

from .conftest import to_long


@pytest.mark.parametrize("call,match", [
    pytest.param(lambda: pm.icc(to_long(np.array([[1.0], [2.0], [3.0]]))), "two raters",
                 id="icc-one-rater"),
    pytest.param(lambda: pm.icc(to_long(np.array([[1, 2], [3, np.nan], [2, 2.0]]))),
                 "rated only once", id="icc-target-once"),
    pytest.param(lambda: pm.icc(pd.DataFrame({"target": [1, 1, 2, 2], "rater": [1, 2, 1, 2],
                                              "score": ["a", "b", "c", "d"]})),
                 "must be numeric", id="icc-non-numeric"),
    pytest.param(lambda: pm.icc(pd.DataFrame({"target": [1, 1, 1], "rater": [1, 1, 2],
                                              "score": [1, 2, 3]})),
                 "more than once", id="icc-duplicate"),
    pytest.param(lambda: pm.cronbach_alpha(np.array([[1, 2, 3], [1, 3, 4], [1, 4, 4.0]])),
                 "constant", id="alpha-constant-item"),
    pytest.param(lambda: pm.cronbach_alpha(pd.DataFrame({"a": ["x", "y", "z"],
                                                         "b": [1, 2, 3]})),
                 "numeric", id="alpha-non-numeric"),
    pytest.param(lambda: pm.krippendorff_alpha(to_long(np.array([[1.0, np.nan],
                                                                 [np.nan, 2.0]]))),
                 "No unit", id="kripp-unpairable"),
    pytest.param(lambda: pm.krippendorff_alpha(to_long(np.ones((3, 2)))), "identical",
                 id="kripp-constant"),
    pytest.param(lambda: pm.krippendorff_alpha(to_long(np.ones((3, 2))), level="cardinal"),
                 "level", id="kripp-level"),
    pytest.param(lambda: pm.cohen_kappa([1, 2, 3], [1, 2]), "different numbers",
                 id="kappa-length"),
    pytest.param(lambda: pm.cohen_kappa([1, 1, 1], [1, 1, 1]), "single category",
                 id="kappa-one-category"),
    pytest.param(lambda: pm.cohen_kappa([1, 2], [1, 2], weights="cubic"), "weights",
                 id="kappa-weights"),
    pytest.param(lambda: pm.fleiss_kappa(to_long(np.array([[1.0], [2.0]]))), "two raters",
                 id="fleiss-one-rater"),
    pytest.param(lambda: pm.pearson_r([1, 1, 1, 1], [1, 2, 3, 4]), "constant",
                 id="pearson-constant"),
    pytest.param(lambda: pm.brier_score([[0.5, 0.5]], [3]), "not scale points",
                 id="brier-bad-score"),
    pytest.param(lambda: pm.disattenuated_r([1, 2, 3, 4], [2, 1, 4, 3], reliability_x=0,
                                            reliability_y=0.8), "reliability_x",
                 id="disattenuated-zero"),
])
def test_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
