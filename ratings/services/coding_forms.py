"""The human coding form: one cell per (applicable segment, code set), answered with the code's
digit (its ``key``); drafts saved as the coder goes, submitted per transcript."""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction

from audit.actor import Actor
from audit.services import audit_record
from ratings.models import Assignment, Rating

from .coding import CodingError, SegmentCodeInput, applicable_segments, coding_rating_save
from .rating_forms import RatingFormError, RatingLocked

SEPARATOR = "~"


@dataclass(frozen=True, slots=True)
class CodingCell:
    key: str  # "segment id~code set": the form field is "item-" + key
    segment: object
    code_set: object
    answer: int | None  # the chosen code's digit


def cell_key(segment_id: str, code_set: str) -> str:
    return f"{segment_id}{SEPARATOR}{code_set}"


def coding_cells(assignment: Assignment) -> tuple[Rating | None, list[CodingCell], list]:
    """The rating so far, the cells to answer in transcript order, and every segment (the
    transcript, with the segments no code set applies to shown as context)."""
    rating = Rating.objects.filter(rater=assignment.rater, target=assignment.target,
                                   instrument_version=assignment.instrument_version).first()
    stored = {}
    if rating is not None:
        stored = {cell_key(c.segment.external_id, c.code_set): c.code
                  for c in rating.segment_codes.select_related("segment")}
    cells = []
    for segment, code_sets in applicable_segments(assignment.target, assignment.instrument_version):
        for code_set in code_sets:
            key = cell_key(segment.external_id, code_set.code)
            code = code_set.get(stored.get(key, ""))
            cells.append(CodingCell(key, segment, code_set, code.key if code else None))
    return rating, cells, list(assignment.target.segments.order_by("position"))


def _codes(assignment: Assignment, answers: Mapping[str, object]) -> tuple[list[SegmentCodeInput], dict[str, str]]:
    spec = assignment.instrument_version.spec
    codes, errors = [], {}
    for key, value in answers.items():
        if value in (None, ""):
            continue
        segment_id, _, code_set_code = str(key).rpartition(SEPARATOR)
        try:
            code_set = spec.code_set(code_set_code)
            code = code_set.codes[int(value) - 1] if int(value) >= 1 else None
        except (KeyError, ValueError, TypeError, IndexError):
            code = None
        if code is None:
            errors[str(key)] = "Choose one of the codes by its number."
            continue
        codes.append(SegmentCodeInput(segment_id, code_set.code, code.code))
    return codes, errors


def _save(assignment: Assignment, codes: list[SegmentCodeInput], *, submit: bool, seconds_spent) -> Rating:
    try:
        return coding_rating_save(rater=assignment.rater, target=assignment.target,
                                  instrument_version=assignment.instrument_version, codes=codes,
                                  source=Rating.Source.FORM, submit=submit, seconds_spent=seconds_spent)
    except CodingError as exc:
        raise RatingFormError({"": str(exc)}) from None


def _locked(assignment: Assignment) -> bool:
    return Rating.objects.filter(rater=assignment.rater, target=assignment.target,
                                 instrument_version=assignment.instrument_version,
                                 status=Rating.Status.SUBMITTED).exists()


@transaction.atomic
def coding_draft_save(*, assignment: Assignment, answers: Mapping[str, object],
                      seconds_spent: float | None = None) -> Rating:
    """Keep the codes chosen so far as a draft; ``RatingLocked`` once submitted."""
    if _locked(assignment):
        raise RatingLocked("this coding was submitted and is locked")
    codes, _ = _codes(assignment, answers)
    rating = _save(assignment, codes, submit=False, seconds_spent=seconds_spent)
    Assignment.objects.filter(pk=assignment.pk, status=Assignment.Status.PENDING).update(
        status=Assignment.Status.IN_PROGRESS)
    return rating


@transaction.atomic
def coding_submit(*, assignment: Assignment, answers: Mapping[str, object], seconds_spent: float | None = None,
                  actor: Actor | None = None) -> Rating:
    """Submit and lock the transcript's codes; ``RatingFormError`` names every applicable cell
    left without a code. Audited in the same transaction."""
    if _locked(assignment):
        raise RatingLocked("this coding was submitted and is locked")
    codes, errors = _codes(assignment, answers)
    given = {cell_key(c.segment_id, c.code_set) for c in codes}
    _, cells, _ = coding_cells(assignment)
    for cell in cells:
        if cell.key not in given and cell.key not in errors:
            errors[cell.key] = "This utterance needs a code."
    if errors:
        raise RatingFormError(errors)
    rating = _save(assignment, codes, submit=True, seconds_spent=seconds_spent)
    Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.SUBMITTED)
    if actor is not None:
        audit_record(actor=actor, action="change", object_type="rating", object_id=rating.pk,
                     study=assignment.target.study, detail={"target": assignment.target.external_id,
                                                            "status": "submitted"})
    return rating
