"""The raters an imported file names, for the ratings and the codes imports alike.

Raters are the study's own: the ids in a file name raters of this study, so ``R1`` in two
studies is two raters (with per-target ids, every (target, label) is its own rater). A rater is
human unless the row's ``rater_kind`` column or the import's default says ``llm``: an outside
judge, with an optional ``model``. One name is one kind and one model throughout a file; the
names of Anchor's own LLM raters are never taken by a file.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q

from ratings.models import Rater, Study
from ratings.tabular import RowError

from .judge_scores import RATER_KINDS

RATER_NAME = re.compile(r"^[-a-zA-Z0-9_]{1,100}$")
MAX_MODEL_LENGTH = 300


@dataclass(frozen=True, slots=True)
class ImportSource:
    """Where the rows came from, recorded in every imported rating's provenance. For rows
    streamed from a request body, ``file_sha256`` may be a function giving the body's hash: it
    is asked once the rows are read (``sha256``)."""

    file_name: str = ""
    file_sha256: str | Callable[[], str] = ""

    def sha256(self) -> str:
        return self.file_sha256() if callable(self.file_sha256) else self.file_sha256


@dataclass(slots=True)
class RaterSeen:
    """A rater as the file first names it: kind, model, the line, and (per-target ids) its target."""

    kind: str
    model: str
    line: int
    target_id: str | None


def cell_text(values: dict, key: str) -> str:
    """A row's cell as stripped text ("" when absent or empty)."""
    value = values.get(key)
    return "" if value is None else str(value).strip()


def rater_of(v: dict, *, default_kind: str, default_model: str, per_target: bool) -> tuple[str, str, str]:
    """(name in the study, kind, model) of a row's rater; ``ValueError`` says what is wrong."""
    target_id, label = cell_text(v, "target_id"), cell_text(v, "rater_id")
    if not RATER_NAME.match(label):
        raise ValueError(f"rater_id {label!r} must be 1-100 letters, digits, '-' or '_'")
    kind = cell_text(v, "rater_kind") or default_kind
    if kind not in RATER_KINDS:
        raise ValueError(f"rater_kind {kind!r} must be human or llm")
    model = cell_text(v, "model")
    if model and kind != "llm":
        raise ValueError(f"model {model!r} is given for a human rater; set rater_kind llm for an outside judge")
    if len(model) > MAX_MODEL_LENGTH:
        raise ValueError(f"model is longer than {MAX_MODEL_LENGTH} characters")
    return (f"{target_id}/{label}" if per_target else label), kind, (model or default_model if kind == "llm" else "")


def rater_note(seen: dict[str, RaterSeen], name: str, kind: str, model: str, line: int,
               target_id: str | None) -> None:
    """Remember the rater a row names; ``ValueError`` when it contradicts an earlier line."""
    first = seen.get(name)
    if first is None:
        seen[name] = RaterSeen(kind, model, line, target_id)
        return
    if first.kind != kind:
        raise ValueError(f"rater {name!r} is {first.kind} on line {first.line}; one rater is one kind")
    if first.model != model:
        raise ValueError(f"rater {name!r} has model {first.model!r} on line {first.line}; one rater is one model")


def raters_existing(study: Study, seen: dict[str, RaterSeen]) -> tuple[dict[str, Rater], list[RowError]]:
    """The raters the file's names already stand for in this study, and the names it may not use.

    A name is the study's imported rater of that name; else an installation-wide human (an
    account holder) who already rated or was assigned targets of this study; else new. The
    names of Anchor's own LLM raters are never taken by a file."""
    names = set(seen)
    found = {r.name: r for r in Rater.objects.filter(study=study, name__in=names)}
    active_here = Q(ratings__target__study=study) | Q(assignments__target__study=study)
    errors = []
    for rater in Rater.objects.filter(study__isnull=True, name__in=names - set(found)).distinct():
        line = seen[rater.name].line
        if rater.kind == Rater.Kind.LLM:
            errors.append(RowError(line, f"rater {rater.name!r} is an LLM rater run by Anchor; name an "
                                         "imported rater differently"))
        elif Rater.objects.filter(active_here, pk=rater.pk).exists():
            found[rater.name] = rater
    for name, rater in found.items():
        first = seen[name]
        if rater.kind != first.kind:
            errors.append(RowError(first.line, f"rater {name!r} is a {rater.kind} rater in study {study.slug}; "
                                               f"this file says {first.kind}"))
    return found, errors


def raters_create(study: Study, seen: dict[str, RaterSeen], raters: dict[str, Rater]) -> int:
    """Create the study's raters for the names not in ``raters`` and add them to it; how many."""
    targets = dict(study.targets.values_list("external_id", "pk"))
    new = [Rater(name=name, kind=first.kind, study=study,
                 target_id=targets[first.target_id] if first.target_id else None)
           for name, first in seen.items() if name not in raters]
    Rater.objects.bulk_create(new, batch_size=2000)
    raters.update({r.name: r for r in Rater.objects.filter(study=study, name__in=[r.name for r in new])})
    return len(new)


def import_provenance(seen: RaterSeen, source: ImportSource) -> dict:
    """What an imported rating records: the file, and an outside judge's model."""
    provenance = {"imported": True, "file_name": source.file_name, "file_sha256": source.sha256()}
    return {**provenance, "model": seen.model} if seen.kind == "llm" else provenance
