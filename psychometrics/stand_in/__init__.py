"""Can an LLM rater stand in for humans? The human ceiling, the alternative annotator test,
prediction-powered inference and uncertainty-driven sampling of the next human ratings.

Pure functions and frozen results, like the rest of ``psychometrics``; nothing here imports
Django.
"""
from .active_sampling import (SamplingPlan, distribution_uncertainty, inclusion_probabilities,
                              plan_sampling)
from .alt_test import (DEFAULT_ALPHA, DEFAULT_EPSILON, EPSILON_GUIDE, MIN_HUMANS, MIN_TARGETS_PER_HUMAN,
                       AltTestComparison, AltTestResult, alt_test)
from .human_ceiling import CeilingComparison, HumanCeilingResult, human_ceiling
from .ppi import ASSUMPTION_IPW, ASSUMPTION_RANDOM, Estimate, PPIResult, ppi_mean, ppi_ols
from .ppi_pearson import ppi_correlation
from .verdict import verdict_sentence

__all__ = [
    "ASSUMPTION_IPW", "ASSUMPTION_RANDOM", "AltTestComparison", "AltTestResult", "CeilingComparison",
    "DEFAULT_ALPHA", "DEFAULT_EPSILON", "EPSILON_GUIDE", "Estimate", "HumanCeilingResult", "MIN_HUMANS",
    "MIN_TARGETS_PER_HUMAN", "PPIResult", "SamplingPlan", "alt_test", "distribution_uncertainty",
    "human_ceiling", "inclusion_probabilities", "plan_sampling", "ppi_correlation", "ppi_mean", "ppi_ols",
    "verdict_sentence",
]
