"""Selectors that turn a study's submitted ratings into tidy pandas frames.

Only submitted ratings count: a draft is not a rating yet, and a failed LLM rating was never
stored, so it is missing data, never a score.
"""

from typing import Literal

import pandas as pd
from django.db.models import Q

from instruments.definition.scoring import subscale_scores
from ratings.models import ItemScore, Rater, Rating, ScoringJob, Study

ITEM_COLUMNS = ["target", "rater", "rater_kind", "item", "score", "expected_score", "distribution"]
SCALE_COLUMNS = ["target", "rater", "rater_kind", "scale", "basis", "score"]


def _submitted(study: Study, version):
    return Rating.objects.filter(target__study=study, instrument_version=version,
                                 status=Rating.Status.SUBMITTED)


def item_scores_frame(study: Study, *, instrument_version) -> pd.DataFrame:
    """Long frame, one row per submitted item score: target, rater, rater_kind, item, score,
    expected_score (NaN for humans), distribution (None for humans)."""
    rows = (ItemScore.objects
            .filter(rating__in=_submitted(study, instrument_version))
            .values_list("rating__target__external_id", "rating__rater__name", "rating__rater__kind",
                         "item__code", "score", "expected_score", "distribution"))
    frame = pd.DataFrame(list(rows), columns=ITEM_COLUMNS)
    frame["score"] = frame["score"].astype(float)
    frame["expected_score"] = pd.to_numeric(frame["expected_score"], errors="coerce")
    return frame


def scale_scores_frame(items: pd.DataFrame, *, spec) -> pd.DataFrame:
    """Long frame of scale scores per rater and target, on the ``mode`` basis (the chosen point)
    and the ``expected`` basis (an LLM's expected score; a human's answer, which has none),
    scored by the instrument's rules (`subscale_scores`, here vectorised over all ratings:
    keyed items, the mean of the answered ones, prorated sums, None below ``min_answered``).
    ``items`` is `item_scores_frame`."""
    keys = ["target", "rater", "rater_kind"]
    if items.empty or not spec.subscales:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "score" else object) for c in SCALE_COLUMNS})
    values = items.assign(expected=items["expected_score"].fillna(items["score"]))
    wide = values.set_index([*keys, "item"])[["score", "expected"]].unstack("item")
    parts = []
    for basis, column in (("mode", "score"), ("expected", "expected")):
        matrix = wide[column]
        for subscale in spec.subscales:
            codes = [c for c in subscale.items if c in matrix.columns]
            keyed_items = pd.DataFrame({c: _keyed_column(spec.item(c), matrix[c]) for c in codes},
                                       index=matrix.index)
            answered = keyed_items.notna().sum(axis=1)
            mean = keyed_items.sum(axis=1) / answered.where(answered > 0)
            score = mean if subscale.method == "mean" else mean * len(subscale.items)
            score = score.where(answered >= max(subscale.min_answered, 1))
            parts.append(score.rename("score").reset_index().assign(scale=subscale.code, basis=basis))
    frame = pd.concat(parts, ignore_index=True).sort_values(keys, kind="mergesort", ignore_index=True)
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    return frame[SCALE_COLUMNS]


def _keyed_column(item, column: pd.Series) -> pd.Series:
    return item.scale.min + item.scale.max - column if item.reverse else column


def scale_scores_frame_reference(items: pd.DataFrame, *, spec) -> pd.DataFrame:
    """The per-rating loop `scale_scores_frame` replaces (kept to test that both agree)."""
    rows = []
    for (target, rater, kind), group in items.groupby(["target", "rater", "rater_kind"], sort=True):
        modes = dict(zip(group["item"], group["score"]))
        expected = {code: (e if pd.notna(e) else s) for code, s, e in
                    zip(group["item"], group["score"], group["expected_score"])}
        for basis, values in (("mode", modes), ("expected", expected)):
            for scale, value in subscale_scores(spec, values).items():
                rows.append((target, rater, kind, scale, basis, value))
    frame = pd.DataFrame(rows, columns=SCALE_COLUMNS)
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    return frame


def targets_frame(study: Study, *, cluster_field: str | None = None) -> pd.DataFrame:
    """One row per target: ``target``, ``cluster`` (the metadata field, or None) and one
    ``criterion:NAME`` column per numeric outcome criterion stored on the study's targets."""
    rows = []
    for external_id, metadata, criteria in study.targets.order_by("external_id").values_list(
            "external_id", "metadata", "criteria"):
        row = {"target": external_id,
               "cluster": (metadata or {}).get(cluster_field) if cluster_field else None}
        row.update({f"criterion:{k}": v for k, v in (criteria or {}).items()})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["target", "cluster"] if not rows else None)
    for column in criterion_columns(frame):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def _raters_seen_by(study: Study):
    """The raters whose names a study's frames can hold: the installation's and the study's own
    (an imported id is a label in its study: another study's ``R1`` is someone else)."""
    return Rater.objects.filter(Q(study__isnull=True) | Q(study=study))


def perturbations(study: Study, llm_raters: list[str]) -> dict[str, dict]:
    """Rater name -> perturbation configuration, for the LLM raters that are robustness runs."""
    return {name: config for name, config in _raters_seen_by(study).filter(name__in=llm_raters)
            .exclude(perturbation={}).values_list("name", "perturbation")}


def llm_provenance(study: Study, *, instrument_version, raters: list[str]) -> dict[str, dict]:
    """Where each LLM rater's ratings come from: ``imported`` (an outside judge's file: its
    name, SHA-256 and model, per file) or ``anchor`` (scored here: model file and its hash,
    prompt template version), with one line of text saying so."""
    imported: dict[str, list[dict]] = {}
    for name, file_name, sha, model in (
            _submitted(study, instrument_version).filter(rater__name__in=raters, source=Rating.Source.IMPORT)
            .values_list("rater__name", "provenance__file_name", "provenance__file_sha256", "provenance__model")
            .distinct().order_by("rater__name", "provenance__file_name")):
        imported.setdefault(name, []).append({"file_name": file_name or "", "file_sha256": sha or "",
                                              "model": model or ""})
    out = {}
    for name, path, sha, template in _raters_seen_by(study).filter(name__in=raters).values_list(
            "name", "model_path", "model_sha256", "prompt_template_version"):
        if name in imported:
            files = imported[name]
            text = "imported (" + "; ".join(map(_file_words, files)) + ")"
            out[name] = {"origin": "imported", "files": files, "text": text}
        else:
            out[name] = {"origin": "anchor", "model_path": path, "model_sha256": sha,
                         "prompt_template_version": template,
                         "text": f"scored by Anchor (model {path.rsplit('/', 1)[-1] or 'unnamed'}, sha256 "
                                 f"{sha[:12] or 'not recorded'}, prompt {template or 'not recorded'})"}
    return out


def _file_words(file: dict) -> str:
    words = f"{file['file_name'] or 'unnamed file'}, sha256 {file['file_sha256'][:12] or 'not recorded'}"
    return words + (f", model {file['model']}" if file["model"] else "")


def criterion_columns(targets: pd.DataFrame) -> list[str]:
    return sorted(c for c in targets.columns if c.startswith("criterion:"))


def wide(frame: pd.DataFrame, *, index: str, columns: str, values: str = "score") -> pd.DataFrame:
    """Pivot a long frame (one value per cell) into index x columns, NaN where missing."""
    cells = frame[[index, columns, values]].drop_duplicates([index, columns])
    wide = cells.set_index([index, columns])[values].unstack(columns).sort_index()
    return wide.astype(float) if not wide.empty else wide


def missing_counts(study: Study, *, instrument_version, items: pd.DataFrame) -> dict:
    """Missing human answers (items left blank in submitted ratings), unsubmitted drafts,
    and failed LLM ratings (targets a scoring job recorded as failed)."""
    codes = [item.code for item in instrument_version.spec.items if item.for_humans]
    humans = items[items["rater_kind"] == "human"]
    per_rating = humans.groupby(["target", "rater"])["item"].nunique()
    drafts = Rating.objects.filter(target__study=study, instrument_version=instrument_version,
                                   status=Rating.Status.DRAFT).count()
    failed = {}
    for rater, errors in ScoringJob.objects.filter(study=study, instrument_version=instrument_version
                                                   ).values_list("rater__name", "errors"):
        failed.setdefault(rater, set()).update(e.get("target") or e.get("target_id") for e in errors)
    stored = set(map(tuple, items.loc[items["rater_kind"] == "llm", ["rater", "target"]]
                     .drop_duplicates().to_numpy()))
    failed_now = {rater: sorted(str(t) for t in targets if (rater, t) not in stored)
                  for rater, targets in failed.items()}
    return {
        "n_targets": study.targets.count(),
        "n_items": len(codes),
        "human_ratings_submitted": int(len(per_rating)),
        "human_missing_answers": int((len(codes) - per_rating).clip(lower=0).sum()),
        "human_drafts_not_submitted": drafts,
        "llm_failed_ratings": {r: len(t) for r, t in failed_now.items()},
        "llm_failed_targets": failed_now,
        "note": "failed LLM ratings and unanswered items are missing data, never a score",
    }


Basis = Literal["mode", "expected"]
