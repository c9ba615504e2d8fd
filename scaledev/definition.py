"""The definition of a short scale selected from a pool, with its derivation recorded in it.

Pure: a pool document and a `ScaleDevelopmentResult` in, a definition document out. The
derivation is part of the content, so it is covered by the content hash and travels with
every export of the short scale.
"""

import copy

from psychometrics.scale_development import ScaleDevelopmentResult

METHOD = ("Anchor scale development (psychometrics.scale_development.develop_scale): item selection "
          "by the stated rule inside grouped repeated k-fold cross-validation, bootstrap optimism "
          "correction (Harrell, Lee & Mark 1996)")


def _figures(values: dict) -> dict:
    return {k: (None if v is None or v != v else float(v)) for k, v in values.items()}


def derivation_record(result: ScaleDevelopmentResult, *, pool_version, study_slug: str, rater: str,
                      cluster_field: str | None) -> dict:
    """The ``derivation`` block: where the scale came from and how well it is expected to do."""
    return {
        "method": METHOD,
        "pool": {"slug": pool_version.instrument.slug, "version": pool_version.version,
                 "content_hash": pool_version.content_hash},
        "study": study_slug,
        "rater": rater,
        "n_targets": result.n,
        "n_clusters": result.n_clusters,
        "cluster_field": cluster_field,
        "criteria": list(result.criteria),
        "rule": result.rule,
        "k": result.k,
        "k_chosen_by": result.k_chosen_by,
        "seed": result.seed,
        "n_folds": result.n_folds,
        "n_repeats": result.n_repeats,
        "n_boot": result.n_boot,
        "items": [{"code": code, "key": result.keys[code],
                   "selection_frequency": result.selection_frequency.get(code, 0.0)}
                  for code in result.selected],
        "apparent": _figures(result.apparent),
        "cross_validated": _figures(result.cross_validated),
        "optimism": _figures(result.optimism),
        "corrected": _figures(result.corrected),
        "cfa_one_factor": _figures({k: v for k, v in result.cfa_one_factor.items() if k != "error"}),
    }


def short_scale_definition(pool_document: dict, derivation: dict, *, slug: str, version: str,
                           title: str | None = None) -> dict:
    """A scale instrument of the selected pool items (in pool order), keyed as selected.

    An item the rule reversed (key -1) gets the opposite of its pool ``reverse`` flag, so the
    short scale's total is scored in the direction the selection measured. The items' pool
    subscales are dropped; the scale has one ``total`` (mean of all its items)."""
    keys = {entry["code"]: entry["key"] for entry in derivation["items"]}
    document = {key: copy.deepcopy(value) for key, value in pool_document.items()
                if key not in ("pool", "subscales", "items", "derivation", "slug", "version", "title")}
    items = []
    for raw in pool_document["items"]:
        if raw["code"] not in keys:
            continue
        item = {k: copy.deepcopy(v) for k, v in raw.items() if k not in ("subscale", "reverse")}
        reverse = bool(raw.get("reverse", False)) != (keys[raw["code"]] == -1)
        if reverse:
            item["reverse"] = True
        items.append(item)
    pool = derivation["pool"]
    document.update(
        slug=slug, version=version,
        title=title or f"{pool_document['title']} (short form, {len(items)} items)",
        items=items,
        subscales=[{"code": "total", "title": "Total", "method": "mean", "items": "all"}],
        derivation=derivation,
    )
    document["description"] = (f"{pool_document['description'].rstrip()}\n\nShort form of "
                                f"{pool['slug']} {pool['version']}: {len(items)} items selected on "
                                f"study {derivation['study']} (see `derivation`).")
    return document
