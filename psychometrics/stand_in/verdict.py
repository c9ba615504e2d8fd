"""One sentence a reader can act on, per LLM rater and score; never a verdict without its numbers."""
from __future__ import annotations


def _num(value, digits: int = 2) -> str:
    """.31 style for coefficients in [-1, 1], plain otherwise."""
    if value is None:
        return "—"
    text = f"{value:.{digits}f}"
    return text.replace("0.", ".", 1) if abs(value) < 1 and text.startswith(("0.", "-0.")) else text


def ceiling_clause(rater: str, ceiling: dict | None) -> str:
    """'llm-x agrees with humans less than any human does (ICC .31 vs .52–.60)'.

    Parameters
    ----------
    rater : str
        The LLM rater's name.
    ceiling : dict or None
        ``human_ceiling(...).to_dict()``, or ``{"error": ...}`` when it could not be computed.

    Returns
    -------
    str
        Where the LLM falls among the humans, with its agreement and the humans' range.

    References
    ----------
    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass correlation
    coefficients. Psychological Methods, 1(1), 30-46.

    Examples
    --------
    >>> ceiling_clause("llm-x", {"statistic": "ICC(A,1)", "human_agreements": {"a": .52, "b": .60},
    ...      "llm_agreement": .31, "below_every_human": True, "rank": 3, "n_ranked": 3})
    'llm-x agrees with humans less than any human does (ICC .31 vs .52–.60)'
    >>> ceiling_clause("llm-x", {"error": "Too few targets."})
    'llm-x: human ceiling not computed (Too few targets)'
    """
    if not ceiling or "error" in ceiling:
        reason = (ceiling or {}).get("error", "not computed")
        return f"{rater}: human ceiling not computed ({reason.rstrip('.')})"
    humans = list(ceiling["human_agreements"].values())
    label = "ICC" if ceiling["statistic"].startswith("ICC") else "agreement"
    low, high = _num(min(humans)), _num(max(humans))
    span = low if low == high else f"{low}–{high}"
    numbers = f"({label} {_num(ceiling['llm_agreement'])} vs {span})"
    if ceiling["below_every_human"]:
        where = "agrees with humans less than any human does"
    elif ceiling["rank"] == 1:
        where = "agrees with humans at least as well as every human does"
    else:
        where = f"ranks {ceiling['rank']} of {ceiling['n_ranked']} raters in agreement with the humans"
    return f"{rater} {where} {numbers}"


def alt_test_clause(alt: dict | None, short: bool = False) -> str:
    """'alt-test: does not pass (ω 0.00, ε 0.2)' or why there is no verdict.

    Parameters
    ----------
    alt : dict or None
        ``alt_test(...).to_dict()``, or ``{"error": ...}``.
    short : bool
        Leave the reason for a missing verdict out (for a headline).

    Returns
    -------
    str
        The verdict with the winning rate ω, the advantage probability ρ and the margin ε.

    References
    ----------
    Calderon, N., Reichart, R., & Dror, R. (2025). The alternative annotator test for
    LLM-as-a-judge: how to statistically justify replacing human annotators with LLMs.
    ACL 2025, arXiv:2501.10970.

    Examples
    --------
    >>> alt_test_clause({"passes": True, "winning_rate": 0.667, "advantage_probability": 0.8,
    ...                  "epsilon": 0.15})
    'alt-test: passes (ω 0.67, ρ 0.80, ε 0.15)'
    >>> alt_test_clause({"passes": None, "reason": "Too few humans.", "epsilon": 0.2}, short=True)
    "alt-test: no verdict (below the paper's minimum sizes; ε 0.2)"
    """
    if not alt or "error" in alt:
        return "alt-test: not computed" + ("" if short else f" ({(alt or {}).get('error', 'no data').rstrip('.')})")
    if alt.get("passes") is None:
        reason = "below the paper's minimum sizes" if short else alt["reason"].rstrip(".")
        return f"alt-test: no verdict ({reason}; ε {alt['epsilon']:g})"
    verdict = "passes" if alt["passes"] else "does not pass"
    return (f"alt-test: {verdict} (ω {alt['winning_rate']:.2f}, ρ {alt['advantage_probability']:.2f}, "
            f"ε {alt['epsilon']:g})")


def ppi_clause(ppi: dict | None, measure: str, unit: str = "targets", short: bool = False) -> str:
    """'with the 60 human-rated sessions it narrows the CI of mean engagement by 38% (effective n 97)'.

    Parameters
    ----------
    ppi : dict or None
        ``ppi_mean(...).to_dict()``, or ``{"error": ...}``.
    measure : str
        What the mean is of (the item or score).
    unit : str
        What the targets are called.
    short : bool
        Leave the reason for a missing figure out.

    Returns
    -------
    str
        How much the LLM ratings narrow the human-only interval (1 - width ratio) and the
        effective number of human ratings.

    References
    ----------
    Angelopoulos, A. N., Bates, S., Fannjiang, C., Jordan, M. I., & Zrnic, T. (2023).
    Prediction-powered inference. Science, 382(6671), 669-674.
    Angelopoulos, A. N., Duchi, J. C., & Zrnic, T. (2023). PPI++: efficient prediction-powered
    inference. arXiv:2311.01453.

    Examples
    --------
    >>> ppi_clause({"width_ratio": 1.25, "n": 40, "effective_n": 25.6}, "clarity")
    'with the 40 human-rated targets it does not narrow the CI of mean clarity (width ×1.25) (effective n 26)'
    """
    if not ppi or "error" in ppi:
        return "PPI: not computed" + ("" if short else f" ({(ppi or {}).get('error', 'no data').rstrip('.')})")
    ratio, n = ppi.get("width_ratio"), ppi["n"]
    if ratio is None:
        return f"PPI: the interval widths could not be compared (n {n})"
    change = 1 - ratio
    effect = (f"narrows the CI of mean {measure} by {change:.0%}" if change > 0
              else f"does not narrow the CI of mean {measure} (width ×{ratio:.2f})")
    eff = ppi.get("effective_n")
    return (f"with the {n} human-rated {unit} it {effect}"
            + (f" (effective n {eff:.0f})" if eff is not None else ""))


def verdict_sentence(rater: str, measure: str, *, ceiling: dict | None, alt: dict | None,
                     ppi: dict | None = None, unit: str = "targets", short: bool = False) -> str:
    """The three findings as one sentence, each with its numbers (``short``: reasons for a
    missing figure left out, for a headline).

    Parameters
    ----------
    rater : str
        The LLM rater's name.
    measure : str
        The item or score the findings are about.
    ceiling, alt, ppi : dict or None
        The ``to_dict()`` of ``human_ceiling``, ``alt_test`` and ``ppi_mean`` (or
        ``{"error": ...}``); without ``ppi`` the sentence has two parts.
    unit : str
        What the targets are called.
    short : bool
        Leave the reasons for missing figures out (for a headline).

    Returns
    -------
    str
        The ceiling, alt-test and PPI clauses joined by semicolons.

    References
    ----------
    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass correlation
    coefficients. Psychological Methods, 1(1), 30-46.
    Calderon, N., Reichart, R., & Dror, R. (2025). The alternative annotator test for
    LLM-as-a-judge: how to statistically justify replacing human annotators with LLMs.
    ACL 2025, arXiv:2501.10970.
    Angelopoulos, A. N., Bates, S., Fannjiang, C., Jordan, M. I., & Zrnic, T. (2023).
    Prediction-powered inference. Science, 382(6671), 669-674.
    Angelopoulos, A. N., Duchi, J. C., & Zrnic, T. (2023). PPI++: efficient prediction-powered
    inference. arXiv:2311.01453.

    Examples
    --------
    >>> verdict_sentence("llm-x", "engagement",
    ...     ceiling={"statistic": "ICC(A,1)", "human_agreements": {"a": .52, "b": .60},
    ...              "llm_agreement": .31, "below_every_human": True, "rank": 3, "n_ranked": 3},
    ...     alt={"passes": False, "winning_rate": 0.0, "advantage_probability": 0.41, "epsilon": 0.2},
    ...     ppi={"width_ratio": 0.62, "n": 60, "effective_n": 97.0}, unit="sessions")
    'llm-x agrees with humans less than any human does (ICC .31 vs .52–.60); alt-test: does not pass (ω 0.00, ρ 0.41, ε 0.2); with the 60 human-rated sessions it narrows the CI of mean engagement by 38% (effective n 97)'
    >>> verdict_sentence("llm-x", "engagement", ceiling=None, alt=None, short=True)
    'llm-x: human ceiling not computed (not computed); alt-test: not computed'
    """
    parts = [ceiling_clause(rater, ceiling), alt_test_clause(alt, short)]
    if ppi is not None:
        parts.append(ppi_clause(ppi, measure, unit, short))
    return "; ".join(parts)
