"""Scale development: item analysis of a pool, rule-based selection of a short scale inside
grouped repeated cross-validation, and bootstrap optimism correction."""
from .develop import ScaleDevelopmentResult, develop_scale
from .evaluate import scale_performance
from .folds import cluster_bootstrap_rows, cluster_codes, grouped_folds
from .item_analysis import item_analysis
from .rule import SelectionRule, rank_items

__all__ = ["ScaleDevelopmentResult", "SelectionRule", "cluster_bootstrap_rows", "cluster_codes",
           "develop_scale", "grouped_folds", "item_analysis", "rank_items", "scale_performance"]
