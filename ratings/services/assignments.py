"""Assigning targets to raters."""

from collections.abc import Iterable

from django.db import transaction

from instruments.models import InstrumentVersion
from ratings.models import Assignment, Rater, Target


@transaction.atomic
def assignments_create(*, rater: Rater, targets: Iterable[Target], version: InstrumentVersion) -> int:
    """Assign each target to ``rater`` with ``version``; existing assignments are kept. Returns
    the number of new assignments."""
    targets = list(targets)
    assigned = set(Assignment.objects.filter(rater=rater, instrument_version=version, target__in=targets)
                   .values_list("target_id", flat=True))
    new = [Assignment(rater=rater, target=t, instrument_version=version) for t in targets if t.pk not in assigned]
    Assignment.objects.bulk_create(new)
    return len(new)
