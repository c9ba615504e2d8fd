"""A scale development as text lines and as table rows for the page."""

from .analysis import ScaleDevelopment

ITEM_COLUMNS = ["n", "missing_share", "mean", "sd", "skew", "floor_share", "ceiling_share", "r_drop", "loading"]


def _fmt(value) -> str:
    return "—" if value is None or value != value else f"{value:.3f}"


def figure_rows(development: ScaleDevelopment) -> list[list[str]]:
    """metric, apparent, cross-validated (SD), optimism, corrected."""
    r = development.result
    return [[m, _fmt(r.apparent[m]), f"{_fmt(r.cross_validated[m])} ({_fmt(r.cross_validated_sd[m])})",
             _fmt(r.optimism[m]), _fmt(r.corrected[m])] for m in r.apparent]


def item_rows(development: ScaleDevelopment) -> tuple[list[str], list[list[str]]]:
    """The item analysis table: header and one row per pool item, selected items marked."""
    r = development.result
    table = r.item_analysis
    extra = [c for c in table.columns if c not in ITEM_COLUMNS]
    header = ["item", "selected", "key"] + ITEM_COLUMNS + extra + ["selection_frequency"]
    rows = []
    for code, row in table.iterrows():
        rows.append([code, "yes" if code in r.selected else "", str(r.keys.get(code, "")),
                     str(int(row["n"]))] + [_fmt(row[c]) for c in ITEM_COLUMNS[1:] + extra]
                    + [_fmt(r.selection_frequency.get(code, 0.0))])
    return header, rows


def summary_lines(development: ScaleDevelopment) -> list[str]:
    r = development.result
    lines = [f"pool {development.pool_version}, study {development.study.slug}, rater {development.rater}: "
             f"{r.n} targets, {r.n_clusters} clusters ({development.cluster_field or 'no cluster field'}), "
             f"{r.n_items} items",
             f"selected k = {r.k} ({r.k_chosen_by}): " + ", ".join(
                 f"{c}{' (reversed)' if r.keys[c] < 0 else ''}" for c in r.selected),
             f"{r.n_repeats} x {r.n_folds}-fold cross-validation, {r.n_boot} bootstrap samples, seed {r.seed}",
             f"{'metric':<16}{'apparent':>10}{'CV mean (SD)':>22}{'optimism':>10}{'corrected':>11}"]
    for metric, apparent, cv, optimism, corrected in figure_rows(development):
        lines.append(f"{metric:<16}{apparent:>10}{cv:>22}{optimism:>10}{corrected:>11}")
    lines.append(cfa_line(development))
    return lines


def cfa_line(development: ScaleDevelopment) -> str:
    """The apparent one-factor CFA fit of the selected items, or why there is none."""
    cfa = development.result.cfa_one_factor
    if "error" in cfa:
        return f"one-factor CFA (apparent): not computed: {cfa['error']}"
    return (f"one-factor CFA (apparent, n={cfa['n']}): chi2({cfa['df']}) = {_fmt(cfa['chisq'])}, "
            f"CFI {_fmt(cfa['cfi'])}, TLI {_fmt(cfa['tli'])}, RMSEA {_fmt(cfa['rmsea'])}, SRMR {_fmt(cfa['srmr'])}")
