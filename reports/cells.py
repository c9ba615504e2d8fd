"""A figure (a statistic's dict) as the text the page shows."""


def cell(figure: dict | None) -> str:
    """A figure as text: estimate [CI] (n), or the sentence saying why there is none; an
    estimate beyond its logical bound carries the reason."""
    if not figure:
        return ""
    if "error" in figure:
        return f"not computed: {figure['error']}"
    text = "—" if figure.get("estimate") is None else f"{figure['estimate']:.3f}"
    if figure.get("ci_low") is not None and figure.get("ci_high") is not None:
        text += f" [{figure['ci_low']:.3f}, {figure['ci_high']:.3f}]"
    if figure.get("n") is not None:
        text += f" (n={figure['n']})"
    if figure.get("out_of_range"):
        text += f" — beyond its range: {figure['out_of_range']}"
    return text
