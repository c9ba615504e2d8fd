"""Matplotlib figures as inline SVG strings.

Text is SVG text (not glyph paths), which keeps a plot a few kilobytes instead of tens, and is
drawn by the browser's sans-serif font. Every font size is at least ``MIN_FONT`` points; the
page shows an SVG at its natural size (1 pt = 4/3 CSS px), so no text is smaller than
``MIN_FONT * 4/3`` px (10.7 px; tests/reports/test_report_page.py checks every plot).
"""

import io
import re
import textwrap

import matplotlib
from matplotlib.figure import Figure

MIN_FONT = 8
RASTER_POINTS = 300
"""Scatter plots with more points draw them as one embedded PNG (text and axes stay SVG), so a
plot's size does not grow with the number of targets."""
matplotlib.rcParams.update({
    "svg.fonttype": "none", "svg.hashsalt": "anchor-report",  # stable ids: same report, same SVG
    "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"], "font.size": 9,
    "axes.titlesize": 10, "axes.labelsize": 9, "xtick.labelsize": MIN_FONT, "ytick.labelsize": MIN_FONT,
    "legend.fontsize": MIN_FONT,
})
_FAMILY = re.compile(r"font-family: [^;\"]*")


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None}, dpi=144)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    return _FAMILY.sub("font-family: sans-serif", text)


def _wrap(text: str, width: int = 70) -> str:
    return "\n".join(textwrap.fill(line, width) for line in text.split("\n"))


def scatter_identity(points: list[dict], *, title: str, stats_line: str, x_key: str = "human_mean",
                     y_key: str = "llm", x_label: str = "mean human score",
                     y_label: str = "LLM expected score") -> str:
    """One score against another per target (by default the LLM's against the mean human's),
    with the identity line."""
    figure = Figure(figsize=(4.2, 4.0))
    axes = figure.add_subplot()
    x = [p[x_key] for p in points]
    y = [p[y_key] for p in points]
    low, high = min(x + y), max(x + y)
    pad = (high - low) * 0.05 or 0.5
    axes.plot([low - pad, high + pad], [low - pad, high + pad], color="#888", lw=1,
              ls="--", label="identity")
    axes.scatter(x, y, s=22, color="#1f5f99", alpha=0.8, rasterized=len(x) > RASTER_POINTS)
    axes.set_xlim(low - pad, high + pad)
    axes.set_ylim(low - pad, high + pad)
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    axes.set_title(title, fontsize=10)
    axes.text(0.02, 0.98, stats_line, transform=axes.transAxes, va="top", fontsize=MIN_FONT)
    axes.legend(loc="lower right", fontsize=MIN_FONT)
    return _svg(figure)


def bland_altman_plot(points: list[dict], ba: dict, *, title: str) -> str:
    """Difference (LLM - mean human) against the pair mean, bias and limits of agreement."""
    figure = Figure(figsize=(4.2, 4.0))
    axes = figure.add_subplot()
    means = [(p["llm"] + p["human_mean"]) / 2 for p in points]
    diffs = [p["llm"] - p["human_mean"] for p in points]
    axes.scatter(means, diffs, s=22, color="#1f5f99", alpha=0.8, rasterized=len(means) > RASTER_POINTS)
    if "estimate" in ba:
        axes.axhline(ba["estimate"], color="#b22", lw=1, label=f"bias {ba['estimate']:.2f}")
        for key in ("loa_low", "loa_high"):
            if ba.get(key) is not None:
                axes.axhline(ba[key], color="#b22", lw=1, ls="--")
        axes.legend(loc="lower right", fontsize=MIN_FONT)
        axes.text(0.02, 0.98, f"n = {ba['n']}; 95% limits of agreement "
                  f"[{ba['loa_low']:.2f}, {ba['loa_high']:.2f}]",
                  transform=axes.transAxes, va="top", fontsize=MIN_FONT)
    axes.axhline(0, color="#888", lw=0.8)
    axes.set_xlabel("mean of LLM and mean human")
    axes.set_ylabel("LLM - mean human")
    axes.set_title(title, fontsize=10)
    return _svg(figure)


def _caption(axes, text: str) -> None:
    axes.text(0.02, 0.98, text, transform=axes.transAxes, va="top", fontsize=MIN_FONT, wrap=True)


def _ci(figure: dict) -> str:
    if not figure or figure.get("estimate") is None:
        return "n/a"
    if figure.get("ci_low") is None:
        return f"{figure['estimate']:.2f}"
    return f"{figure['estimate']:.2f} [{figure['ci_low']:.2f}, {figure['ci_high']:.2f}]"


def score_distributions(sources: dict[str, dict], *, title: str, method: str, x_label: str = "scale score") -> str:
    """Histograms of one scale's scores, one per source (humans pooled, each LLM rater), with
    each source's n and mean [95% CI] in the legend."""
    figure = Figure(figsize=(4.6, 3.6))
    axes = figure.add_subplot()
    values = [v for s in sources.values() for v in s["values"]]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    bins = [low + (high - low) * i / 12 for i in range(13)] if high > low else 12
    for source, data in sources.items():
        if data["values"]:
            axes.hist(data["values"], bins=bins, alpha=0.5, density=True,
                      label=f"{source}: n = {len(data['values'])}, mean {_ci(data['mean'])}")
    axes.set_xlabel(x_label)
    axes.set_ylabel("density")
    axes.set_title(title, fontsize=10)
    axes.legend(loc="upper left", fontsize=MIN_FONT, bbox_to_anchor=(0, -0.18), title=_wrap(method, 60),
                title_fontsize=MIN_FONT, alignment="left")
    return _svg(figure)


def calibration_diagram(ece: dict, *, title: str) -> str:
    """Reliability diagram: accuracy of the LLM's most probable answer against its confidence,
    per bin (marker area ~ n), with the diagonal of perfect calibration."""
    figure = Figure(figsize=(4.2, 4.0))
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], color="#888", lw=1, ls="--", label="perfect calibration")
    bins = [b for b in ece.get("bins", []) if b["n"]]
    axes.scatter([b["confidence"] for b in bins], [b["accuracy"] for b in bins],
                 s=[12 + 6 * b["n"] for b in bins], color="#1f5f99", alpha=0.7, label="bins (area ~ n)")
    axes.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], color="#1f5f99", lw=0.8)
    axes.set_xlim(0, 1)
    axes.set_ylim(-0.02, 1.02)
    axes.set_xlabel("confidence (top probability)")
    axes.set_ylabel("share equal to the human modal answer")
    axes.set_title(title, fontsize=10)
    _caption(axes, f"n = {ece.get('n')}; ECE {_ci(ece)}\n" + _wrap(ece.get('method', ''), 50))
    axes.legend(loc="lower right", fontsize=MIN_FONT)
    return _svg(figure)


def agreement_heatmap(raters: list[str], cells: dict[tuple[str, str], dict], *, title: str,
                      method: str) -> str:
    """Rater-by-rater agreement (e.g. ICC(A,1) of each pair) as a heat map; each cell shows
    the estimate, its 95% CI and n."""
    import numpy as np

    k = len(raters)
    figure = Figure(figsize=(1.4 + 1.05 * k, 1.2 + 0.9 * k))
    axes = figure.add_subplot()
    grid = np.full((k, k), np.nan)
    for i, a in enumerate(raters):
        for j, b in enumerate(raters):
            cell = cells.get((a, b)) or cells.get((b, a))
            if i == j:
                grid[i, j] = 1.0
            elif cell and cell.get("estimate") is not None:
                grid[i, j] = cell["estimate"]
                axes.text(j, i, f"{cell['estimate']:.2f}\n[{cell['ci_low']:.2f}, {cell['ci_high']:.2f}]"
                          f"\nn={cell['n']}" if cell.get("ci_low") is not None else f"{cell['estimate']:.2f}",
                          ha="center", va="center", fontsize=MIN_FONT)
    image = axes.imshow(grid, vmin=-1 if np.nanmin(grid) < 0 else 0, vmax=1, cmap="viridis")
    figure.colorbar(image, ax=axes, shrink=0.8)
    axes.set_xticks(range(k), raters, rotation=45, ha="right", fontsize=MIN_FONT)
    axes.set_yticks(range(k), raters, fontsize=MIN_FONT)
    axes.set_title(title, fontsize=10)
    figure.text(0.01, 0.0, _wrap(method, 60), fontsize=MIN_FONT, va="top")
    return _svg(figure)


def item_total_bars(r_drop: dict[str, float], *, n: int, title: str) -> str:
    """Corrected item-total correlations as bars, with approximate 95% Fisher-z intervals."""
    import math

    figure = Figure(figsize=(4.6, 0.6 + 0.28 * len(r_drop)))
    axes = figure.add_subplot()
    items = list(r_drop)
    values = [r_drop[i] for i in items]
    half = 1.959964 / math.sqrt(n - 3) if n > 3 else float("nan")
    z = [math.atanh(max(min(v, 1 - 1e-12), -1 + 1e-12)) for v in values]
    low = [max(v - math.tanh(zi - half), 0.0) for v, zi in zip(values, z)]
    high = [max(math.tanh(zi + half) - v, 0.0) for v, zi in zip(values, z)]
    axes.barh(items, values, xerr=[low, high], color="#1f5f99", alpha=0.8, error_kw={"lw": 0.8})
    axes.axvline(0, color="#888", lw=0.8)
    axes.invert_yaxis()
    axes.tick_params(labelsize=MIN_FONT)
    axes.set_xlabel("corrected item-total correlation (r.drop)", fontsize=MIN_FONT)
    axes.set_title(title, fontsize=10)
    figure.text(0.01, -0.04, f"n = {n} ratings; 95% CI by Fisher z (approximate); psych::alpha r.drop",
                fontsize=MIN_FONT)
    return _svg(figure)
