"""Anchor psychometrics: reliability, agreement and validity statistics.

A pure library (numpy, scipy, pandas): arrays or long DataFrames in, frozen dataclass
results out, each with ``estimate``, ``ci_low``, ``ci_high``, ``n``, ``method`` and
``to_dict()``. Nothing here imports Django.
"""
from .bootstrap import BootstrapResult, bootstrap_ci
from .cac import conger_kappa, krippendorff_alpha_gwet
from .coding import CodeAgreementResult, ConfusionResult, code_agreement, confusion_matrix, per_code_kappa
from .calibration import ECEResult, brier_score, expected_calibration_error
from .cfa import CFAResult, cfa_one_factor
from .consistency import AlphaResult, ItemScores, cronbach_alpha, item_statistics
from .icc import ICC_NAMES, ICCForm, ICCResult, icc, icc_matrix
from .icc_oneway import ICCOneWayResult, icc_oneway
from .kappa import KappaResult, cohen_kappa, kappa_from_table
from .kappa_multi import (AllRaterAgreementResult, FleissTestResult, LightKappaResult,
                          all_rater_agreement, fleiss_kappa_test, light_kappa)
from .krippendorff import KrippendorffResult, krippendorff_alpha, krippendorff_alpha_matrix
from .multirater import AgreementResult, fleiss_kappa, gwet_ac1, gwet_ac2, percent_agreement
from .multilevel import MultilevelOmegaResult, multilevel_omega
from .omega import OmegaResult, omega
from .proportion import ProportionResult, proportion_ci
from .scale_development import ScaleDevelopmentResult, SelectionRule, develop_scale, item_analysis
from .validity import (BlandAltmanResult, CorrelationResult, MeanResult, bland_altman,
                       disattenuated_r, kendall_tau, mean_absolute_error, pearson_r,
                       spearman_rho)

__all__ = [
    "AgreementResult", "AlphaResult", "BlandAltmanResult", "BootstrapResult", "CFAResult",
    "CorrelationResult", "ECEResult", "ICCForm", "ICCResult", "ICC_NAMES", "ItemScores", "KappaResult",
    "KrippendorffResult", "MeanResult", "OmegaResult", "bland_altman", "bootstrap_ci",
    "brier_score", "cfa_one_factor", "cohen_kappa", "cronbach_alpha", "disattenuated_r",
    "expected_calibration_error", "fleiss_kappa", "gwet_ac1", "gwet_ac2", "icc", "icc_matrix",
    "item_statistics", "kappa_from_table", "kendall_tau", "krippendorff_alpha",
    "krippendorff_alpha_matrix", "mean_absolute_error", "omega", "pearson_r",
    "percent_agreement", "spearman_rho", "ProportionResult", "proportion_ci",
    "ScaleDevelopmentResult", "SelectionRule", "develop_scale", "item_analysis",
    "ICCOneWayResult", "icc_oneway",
    "AllRaterAgreementResult", "FleissTestResult", "LightKappaResult", "all_rater_agreement",
    "conger_kappa", "fleiss_kappa_test", "krippendorff_alpha_gwet", "light_kappa",
    "MultilevelOmegaResult", "multilevel_omega",
    "CodeAgreementResult", "ConfusionResult", "code_agreement", "confusion_matrix", "per_code_kappa",
]
