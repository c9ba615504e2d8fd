"""Choosing the targets a scoring job covers: a list of ids, a seeded random sample, or both
(a sample of the listed ids). The choice is stored on the job, so resuming it, following it and
the report all see the same targets."""

import csv
import io
import random
from collections.abc import Sequence

from ratings.models import Study

from .scoring import ScoringError

MAX_NAMED = 20


class SubsetError(ScoringError):
    """A subset that cannot be chosen; ``field`` is ``target_ids`` or ``sample``."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


def target_ids_from_text(text: str) -> list[str]:
    """Target ids from a file: one per line, or a CSV whose header has an ``id`` column.

    >>> target_ids_from_text("T1\\nT2\\n\\nT3\\n")
    ['T1', 'T2', 'T3']
    >>> target_ids_from_text("id,text\\nT1,a\\nT2,b\\n")
    ['T1', 'T2']
    """
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0].strip()
    if first == "id" or ("," in first and "id" in next(csv.reader([first]), [])):
        return [row["id"].strip() for row in csv.DictReader(io.StringIO(text)) if (row.get("id") or "").strip()]
    return [line.strip() for line in text.splitlines() if line.strip()]


def _named(ids: Sequence[str]) -> str:
    shown = ", ".join(repr(i) for i in ids[:MAX_NAMED])
    return shown + (f" and {len(ids) - MAX_NAMED} more" if len(ids) > MAX_NAMED else "")


def subset_choose(*, study: Study, target_ids: Sequence[str] | None = None, sample: int | None = None,
                  seed: int = 0) -> dict | None:
    """The subset a job should score, as stored in ``ScoringJob.subset``; None for every target.

    Unknown ids are refused, every one named. A sample draws ``sample`` targets without
    replacement with ``random.Random(seed)`` from the candidates in id order, so the same seed
    draws the same targets on every machine.
    """
    if target_ids is None and sample is None:
        return None
    pks = dict(study.targets.order_by("external_id").values_list("external_id", "pk"))
    if target_ids is not None:
        target_ids = list(dict.fromkeys(str(t).strip() for t in target_ids if str(t).strip()))
        if not target_ids:
            raise SubsetError("the list of targets is empty", field="target_ids")
        unknown = [t for t in target_ids if t not in pks]
        if unknown:
            raise SubsetError(f"{len(unknown)} target id(s) not in study {study.slug}: {_named(unknown)}",
                              field="target_ids")
        candidates = sorted(target_ids)
    else:
        candidates = list(pks)
    drawn = None
    if sample is not None:
        if not 1 <= sample <= len(candidates):
            raise SubsetError(f"a sample of {sample} from {len(candidates)} targets is not possible; "
                              f"choose 1..{len(candidates)}", field="sample")
        candidates = sorted(random.Random(seed).sample(candidates, sample))
        drawn = {"n": sample, "seed": seed}
    return {"target_pks": sorted(pks[t] for t in candidates), "sample": drawn}
