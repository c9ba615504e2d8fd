"""The Wilson interval against Newcombe (1998), Table II (method 3, score interval)."""

import pytest

from psychometrics import proportion_ci


@pytest.mark.parametrize(("successes", "n", "low", "high"), [
    pytest.param(81, 263, 0.2553, 0.3662, id="81/263"),
    pytest.param(15, 148, 0.0624, 0.1605, id="15/148"),
    pytest.param(0, 20, 0.0, 0.1611, id="0/20"),
    pytest.param(1, 29, 0.0061, 0.1718, id="1/29"),
])
def test_wilson_matches_newcombe(successes, n, low, high):
    result = proportion_ci(successes, n)
    # Newcombe prints four decimals, so compare to half a unit in the fourth.
    assert result.ci_low == pytest.approx(low, abs=5e-5)
    assert result.ci_high == pytest.approx(high, abs=5e-5)
    assert result.estimate == successes / n and result.n == n


@pytest.mark.parametrize(("successes", "n", "message"), [
    pytest.param(3, 0, "at least one", id="empty"),
    pytest.param(5, 4, "between 0 and n", id="too-many"),
    pytest.param(1.5, 4, "whole counts", id="fraction"),
])
def test_bad_counts(successes, n, message):
    with pytest.raises(ValueError, match=message):
        proportion_ci(successes, n)
