"""What the schema cannot say about a coding instrument: unique codes, speakers, and summaries
that name code sets and codes that exist."""

from .problems import Problem

ITEM_PARTS = ("items", "subscales", "scales", "default_scale", "stages", "pool", "derivation")


def coding_problems(document: dict) -> list[Problem]:
    """Every problem with the coding parts of ``document`` (none for another kind)."""
    if document["kind"] != "coding":
        return [Problem(key, "only a coding instrument has code sets and summaries")
                for key in ("code_sets", "summaries") if key in document]
    problems = [Problem(key, "a coding instrument codes segments with code sets; it has no "
                             f"`{key}`") for key in ITEM_PARTS if key in document]
    code_sets = document.get("code_sets", [])
    problems += _code_set_problems(code_sets)
    known = {s["code"]: {c["code"] for c in s["codes"]} for s in code_sets}
    seen: set[str] = set()
    for i, summary in enumerate(document.get("summaries", [])):
        path = f"summaries[{i}]"
        if summary["code"] in seen:
            problems.append(Problem(f"{path}.code", f"summary code {summary['code']!r} is used twice"))
        seen.add(summary["code"])
        if ("ratio" in summary) == ("count" in summary):
            problems.append(Problem(path, "a summary is either a `ratio` or a `count`, not both or neither"))
            continue
        parts = ({"ratio.numerator": summary["ratio"]["numerator"],
                  "ratio.denominator": summary["ratio"]["denominator"]}
                 if "ratio" in summary else {"count": summary["count"]})
        for where, selection in parts.items():
            problems += _selection_problems(selection, known, f"{path}.{where}")
    return problems


def _code_set_problems(code_sets: list[dict]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, code_set in enumerate(code_sets):
        path = f"code_sets[{i}]"
        if code_set["code"] in seen:
            problems.append(Problem(f"{path}.code", f"code set {code_set['code']!r} is used twice"))
        seen.add(code_set["code"])
        codes = [c["code"] for c in code_set["codes"]]
        for code in sorted({c for c in codes if codes.count(c) > 1}):
            problems.append(Problem(f"{path}.codes", f"code {code!r} is used twice"))
        labels = [c["label"] for c in code_set["codes"]]
        if len(set(labels)) != len(labels):
            problems.append(Problem(f"{path}.codes", "two codes have the same label"))
        speakers = [s.strip().casefold() for s in code_set.get("speakers", [])]
        if any(not s for s in speakers):
            problems.append(Problem(f"{path}.speakers", "a speaker is empty"))
        if len(set(speakers)) != len(speakers):
            problems.append(Problem(f"{path}.speakers", "a speaker is named twice (speakers are matched "
                                                        "without regard to case)"))
    return problems


def _selection_problems(selection: dict, known: dict[str, set[str]], path: str) -> list[Problem]:
    problems = []
    for code_set, codes in selection.items():
        if code_set not in known:
            problems.append(Problem(f"{path}.{code_set}", f"names no code set: {code_set!r}"))
            continue
        for code in codes:
            if code not in known[code_set]:
                problems.append(Problem(f"{path}.{code_set}", f"code {code!r} is not in code set {code_set!r}"))
    return problems
