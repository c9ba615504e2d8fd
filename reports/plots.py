"""Matplotlib figures as inline SVG strings (text as paths: no fonts or files needed)."""

import io

import matplotlib
from matplotlib.figure import Figure

matplotlib.rcParams["svg.fonttype"] = "path"
matplotlib.rcParams["svg.hashsalt"] = "anchor-report"  # stable ids: same report, same SVG


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def scatter_identity(points: list[dict], *, title: str, stats_line: str) -> str:
    """LLM score against the mean human score per target, with the identity line."""
    figure = Figure(figsize=(4.2, 4.0))
    axes = figure.add_subplot()
    x = [p["human_mean"] for p in points]
    y = [p["llm"] for p in points]
    low, high = min(x + y), max(x + y)
    pad = (high - low) * 0.05 or 0.5
    axes.plot([low - pad, high + pad], [low - pad, high + pad], color="#888", lw=1,
              ls="--", label="identity")
    axes.scatter(x, y, s=22, color="#1f5f99", alpha=0.8)
    axes.set_xlim(low - pad, high + pad)
    axes.set_ylim(low - pad, high + pad)
    axes.set_xlabel("mean human score")
    axes.set_ylabel("LLM expected score")
    axes.set_title(title, fontsize=9)
    axes.text(0.02, 0.98, stats_line, transform=axes.transAxes, va="top", fontsize=7)
    axes.legend(loc="lower right", fontsize=7)
    return _svg(figure)


def bland_altman_plot(points: list[dict], ba: dict, *, title: str) -> str:
    """Difference (LLM - mean human) against the pair mean, bias and limits of agreement."""
    figure = Figure(figsize=(4.2, 4.0))
    axes = figure.add_subplot()
    means = [(p["llm"] + p["human_mean"]) / 2 for p in points]
    diffs = [p["llm"] - p["human_mean"] for p in points]
    axes.scatter(means, diffs, s=22, color="#1f5f99", alpha=0.8)
    if "estimate" in ba:
        axes.axhline(ba["estimate"], color="#b22", lw=1, label=f"bias {ba['estimate']:.2f}")
        for key in ("loa_low", "loa_high"):
            if ba.get(key) is not None:
                axes.axhline(ba[key], color="#b22", lw=1, ls="--")
        axes.legend(loc="lower right", fontsize=7)
        axes.text(0.02, 0.98, f"n = {ba['n']}; 95% limits of agreement "
                  f"[{ba['loa_low']:.2f}, {ba['loa_high']:.2f}]",
                  transform=axes.transAxes, va="top", fontsize=7)
    axes.axhline(0, color="#888", lw=0.8)
    axes.set_xlabel("mean of LLM and mean human")
    axes.set_ylabel("LLM - mean human")
    axes.set_title(title, fontsize=9)
    return _svg(figure)
