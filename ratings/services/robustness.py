"""Robustness runs: a study re-scored by an LLM rater under a controlled perturbation.

A robustness run is an ordinary scoring job whose rater is a *perturbed* copy of a base LLM
rater: same model file, prompt template and decoding, plus a ``perturbation`` configuration
(``ratings/llm/perturbations.py``) applied to every request before the model sees it. One
rater per base x perturbation keeps the one-rating-per-rater-x-target-x-version rule, and
each rating's rater says what was perturbed. The report (section 6) compares the base
rater's scores with the perturbed rater's.

Paraphrases: the manager may supply a file (``item``, ``text``); items it leaves out use the
instrument's human wording (``text``) in place of the LLM wording (``llm_text``), which the
definition format already carries for every item.
"""

import hashlib
import json

from django.db import transaction

from instruments.models import InstrumentVersion
from ratings.encryption import perturbation_encrypted
from ratings.llm.perturbations import KINDS
from ratings.models import Rater, ScoringJob, Study
from ratings.tabular import ImportRejected, Row, RowError

from .scoring import ScoringError, llm_rater_get_or_create, scoring_job_start

SHORT_NAMES = {"shuffle_items": "shuffle", "paraphrase_items": "paraphrase", "rename_speakers": "speakers",
               "insert_filler": "filler", "edit_content": "edit"}
PROVENANCE_FIELDS = ("model_path", "model_sha256", "prompt_template_version", "decoding")


def paraphrases_for(version: InstrumentVersion, supplied: dict[str, str] | None = None) -> dict[str, str]:
    """Item code -> paraphrase: ``supplied`` first, else the item's human wording when it
    differs from its LLM wording. ``ScoringError`` names the items left without one."""
    supplied = supplied or {}
    out, missing = {}, []
    for item in version.spec.items:
        text = supplied.get(item.code) or (item.text if item.text.strip() != item.llm_text.strip() else "")
        if text.strip():
            out[item.code] = text.strip()
        else:
            missing.append(item.code)
    if missing:
        raise ScoringError(f"no paraphrase for item(s) {', '.join(missing)}: supply a paraphrases file "
                           "(columns item, text)")
    return out


def paraphrases_from_rows(*, version: InstrumentVersion, rows: list[Row]) -> dict[str, str]:
    """Parse a paraphrases table (``item``, ``text``); ``ImportRejected`` names every bad row."""
    codes = set(version.spec.item_codes)
    return _mapping_from_rows(rows, key="item", known=codes, what="item of the instrument")


def edits_from_rows(*, study: Study, rows: list[Row]) -> dict[str, str]:
    """Parse a content-edit table (``id``, ``text``: target id -> edited material)."""
    ids = set(study.targets.values_list("external_id", flat=True))
    return _mapping_from_rows(rows, key="id", known=ids, what="target of the study")


def _mapping_from_rows(rows: list[Row], *, key: str, known: set[str], what: str) -> dict[str, str]:
    out, errors = {}, []
    for row in rows:
        name, text = str(row.values.get(key) or "").strip(), str(row.values.get("text") or "")
        if not name:
            errors.append(RowError(row.line, f"the {key} is empty"))
        elif name not in known:
            errors.append(RowError(row.line, f"{name!r} is not a {what}"))
        elif not text.strip():
            errors.append(RowError(row.line, "the text is empty"))
        elif name in out:
            errors.append(RowError(row.line, f"{name!r} appears twice"))
        else:
            out[name] = text
    if not out and not errors:
        errors.append(RowError(0, "the file has no data rows"))
    if errors:
        raise ImportRejected(errors)
    return out


def perturbation_config(*, kind: str, base: Rater, seed: int = 0, version: InstrumentVersion | None = None,
                        paraphrases: dict[str, str] | None = None, edits: dict[str, str] | None = None) -> dict:
    """The stored configuration of a perturbed rater (what `apply_perturbation` reads)."""
    if kind not in KINDS:
        raise ScoringError(f"unknown perturbation {kind!r}; use one of {', '.join(KINDS)}")
    config = {"kind": kind, "base_rater": base.name, "seed": seed}
    if kind == "paraphrase_items":
        if version is None:
            raise ScoringError("paraphrasing needs the instrument version")
        config["paraphrases"] = paraphrases_for(version, paraphrases)
    if kind == "edit_content":
        if not edits:
            raise ScoringError("a content edit needs a file of edited texts (columns id, text)")
        config["edits"] = dict(sorted(edits.items()))
    return config


def perturbed_rater_get_or_create(*, base: Rater, config: dict) -> Rater:
    """The LLM rater that is ``base`` under ``config``; the name carries a hash of the config,
    so the same perturbation reuses its rater and another one gets its own."""
    if base.kind != Rater.Kind.LLM or base.perturbation:
        raise ScoringError(f"rater {base.name!r} is not an unperturbed LLM rater")
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode("utf-8")).hexdigest()[:8]
    name = f"{base.name[:80]}--{SHORT_NAMES[config['kind']]}-{digest}"
    # The name hashes the plain configuration; the stored one has the edited material encrypted.
    rater, _ = Rater.objects.get_or_create(
        name=name, study=None, defaults={"kind": Rater.Kind.LLM, "perturbation": perturbation_encrypted(config),
                             **{f: getattr(base, f) for f in PROVENANCE_FIELDS}})
    return rater


@transaction.atomic
def robustness_job_start(*, study: Study, version: InstrumentVersion, kind: str, seed: int = 0,
                         base: Rater | None = None, paraphrases: dict[str, str] | None = None,
                         edits: dict[str, str] | None = None, created_by=None,
                         subset: dict | None = None, actor=None) -> ScoringJob:
    """Start a scoring job of ``study`` by ``base`` (default: the default LLM rater) under the
    perturbation ``kind``. A content edit scores only the targets it has an edited text for."""
    base = base or llm_rater_get_or_create()
    config = perturbation_config(kind=kind, base=base, seed=seed, version=version,
                                 paraphrases=paraphrases, edits=edits)
    rater = perturbed_rater_get_or_create(base=base, config=config)
    return scoring_job_start(study=study, version=version, rater=rater, created_by=created_by, subset=subset,
                             actor=actor, audit_detail={"perturbation": kind})
