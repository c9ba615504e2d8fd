"""Designing who rates what: k raters per target, balanced, with an overlap set rated by all.

The plan is a pure function of its inputs (targets, raters, k, overlap size, seed), so the
matrix a manager previews is exactly what is committed.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from instruments.models import InstrumentVersion
from ratings.models import Assignment, Rater, Target


@dataclass(frozen=True, slots=True)
class AssignmentPlan:
    """``pairs[i]`` is the tuple of rater indexes assigned to ``targets[i]``."""

    target_ids: tuple[int, ...]
    rater_names: tuple[str, ...]
    pairs: tuple[tuple[int, ...], ...]

    def load(self) -> list[int]:
        """Targets per rater."""
        counts = [0] * len(self.rater_names)
        for raters in self.pairs:
            for r in raters:
                counts[r] += 1
        return counts

    def shared(self) -> list[list[int]]:
        """Targets rated by both raters of each pair (the diagonal is each rater's load)."""
        n = len(self.rater_names)
        matrix = [[0] * n for _ in range(n)]
        for raters in self.pairs:
            for a in raters:
                for b in raters:
                    matrix[a][b] += 1
        return matrix


def plan_assignments(*, target_ids: Sequence[int], rater_names: Sequence[str], per_target: int,
                     overlap: int = 0, seed: int = 0) -> AssignmentPlan:
    """Every target gets ``per_target`` raters, least-loaded first; ``overlap`` targets (drawn
    with ``seed``) get every rater, so agreement can be measured on a common set."""
    if not rater_names:
        raise ValueError("choose at least one rater")
    if not 1 <= per_target <= len(rater_names):
        raise ValueError(f"raters per target must be between 1 and the {len(rater_names)} raters chosen")
    if not 0 <= overlap <= len(target_ids):
        raise ValueError(f"the overlap set must have between 0 and {len(target_ids)} targets")
    order = list(target_ids)
    common = set(random.Random(seed).sample(order, overlap))
    load = [0] * len(rater_names)
    pairs = []
    for target in order:
        if target in common:
            chosen = tuple(range(len(rater_names)))
        else:
            chosen = tuple(sorted(sorted(range(len(rater_names)), key=lambda r: (load[r], r))[:per_target]))
        for r in chosen:
            load[r] += 1
        pairs.append(chosen)
    return AssignmentPlan(tuple(order), tuple(rater_names), tuple(pairs))


@transaction.atomic
def assignments_commit(*, plan: AssignmentPlan, version: InstrumentVersion) -> int:
    """Create the plan's assignments (existing ones are kept); returns how many are new."""
    raters = {r.name: r for r in Rater.objects.filter(name__in=plan.rater_names, study=None)}
    targets = {t.pk: t for t in Target.objects.filter(pk__in=plan.target_ids)}
    clashes = sorted(set(Rater.objects.filter(study__targets__pk__in=plan.target_ids, name__in=plan.rater_names)
                         .values_list("name", flat=True)))
    if clashes:  # the report tells raters apart by name within a study
        raise ValueError(f"the study has imported raters named {', '.join(clashes)}; assign raters with other names")
    existing = set(Assignment.objects.filter(instrument_version=version, target_id__in=plan.target_ids)
                   .values_list("rater_id", "target_id"))
    new = [Assignment(rater=raters[plan.rater_names[r]], target=targets[t], instrument_version=version)
           for t, chosen in zip(plan.target_ids, plan.pairs, strict=True) for r in chosen
           if (raters[plan.rater_names[r]].pk, t) not in existing]
    Assignment.objects.bulk_create(new)
    return len(new)
