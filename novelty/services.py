"""Writes of the novelty app: importing a study's literature corpus; deleting the pipeline's
artefacts with a study's material."""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from audit.actor import Actor
from audit.services import access_record
from ratings.models import Rater, Study
from ratings.tabular import ImportRejected, Row, RowError

from .models import LiteraturePaper, PipelineArtefact, paper_sha256
from .retrieval import parse_date

FIELDS = ("id", "title", "abstract", "date", "year", "venue")
MAX_ID_LENGTH = 200
MAX_TITLE_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class LiteratureImportResult:
    created: int
    updated: int
    unchanged: int


def _text(values: dict, name: str, *, required: bool = True, limit: int | None = None) -> str:
    value = values.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"`{name}` is missing or empty")
        return ""
    if isinstance(value, (bool, dict, list)):
        raise ValueError(f"`{name}` must be text, not {value!r}")
    text = str(value).strip()
    if limit and len(text) > limit:
        raise ValueError(f"`{name}` is longer than {limit} characters")
    return text


def _date(values: dict) -> str:
    """The paper's date from ``date`` (YYYY, YYYY-MM or YYYY-MM-DD) or ``year``; both must agree."""
    raw_date, raw_year = values.get("date"), values.get("year")
    has_date = raw_date is not None and str(raw_date).strip() != ""
    has_year = raw_year is not None and str(raw_year).strip() != ""
    if not has_date and not has_year:
        raise ValueError("`date` (YYYY, YYYY-MM or YYYY-MM-DD) is missing; `year` is accepted instead")
    try:
        date = parse_date(raw_date) if has_date else None
    except ValueError as exc:
        raise ValueError(f"`date`: {exc}") from None
    if has_year:
        try:
            year = parse_date(raw_year)
        except ValueError:
            year = None
        if year is None or year.precision != 1:
            raise ValueError(f"`year` must be a four-digit year, not {raw_year!r}")
        if date is not None and year.year != date.year:
            raise ValueError(f"`year` {raw_year!r} disagrees with `date` {raw_date!r}")
        date = date or year
    return str(date)


def _parse(row: Row) -> dict:
    unknown = sorted(set(row.values) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown column(s) {', '.join(unknown)}; a paper has {', '.join(FIELDS)}")
    data = {"external_id": _text(row.values, "id", limit=MAX_ID_LENGTH),
            "title": _text(row.values, "title", limit=MAX_TITLE_LENGTH),
            "abstract": _text(row.values, "abstract"), "date": _date(row.values),
            "venue": _text(row.values, "venue", required=False, limit=300)}
    data["year"] = int(data["date"][:4])
    data["content_sha256"] = paper_sha256(external_id=data["external_id"], title=data["title"],
                                          abstract=data["abstract"], date=data["date"])
    return data


def _validate(rows: Iterable[Row]) -> list[dict]:
    parsed, errors, first_line = [], [], {}
    for row in rows:
        try:
            data = _parse(row)
        except ValueError as exc:
            errors.append(RowError(row.line, str(exc)))
            continue
        if data["external_id"] in first_line:
            errors.append(RowError(row.line, f"id {data['external_id']!r} repeats line {first_line[data['external_id']]}"))
            continue
        first_line[data["external_id"]] = row.line
        parsed.append(data)
    if errors:
        raise ImportRejected(errors)
    return parsed


@transaction.atomic
def literature_import(*, study: Study, rows: Iterable[Row]) -> LiteratureImportResult:
    """Add papers (``id, title, abstract, date, venue``; ``year`` instead of ``date`` is accepted)
    to ``study``'s corpus in one transaction; ``ImportRejected`` names every bad row and nothing
    is written. The study's retrieval index is rebuilt on its next use (its key, the corpus
    fingerprint, changes with any paper's id, title, abstract or date).

    Re-importing the same rows changes nothing; a known id with other fields is updated (the
    pipeline artefacts already stored keep the titles and scores they were made with).
    """
    parsed = _validate(rows)
    existing = {p.external_id: p for p in LiteraturePaper.objects.filter(
        study=study, external_id__in=[d["external_id"] for d in parsed])}
    new, changed = [], []
    for data in parsed:
        paper = existing.get(data["external_id"])
        if paper is None:
            new.append(LiteraturePaper(study=study, **data))
        elif any(getattr(paper, k) != v for k, v in data.items()):
            for key, value in data.items():
                setattr(paper, key, value)
            changed.append(paper)
    for paper in new + changed:
        paper.full_clean(validate_unique=False)
    LiteraturePaper.objects.bulk_create(new, batch_size=2000)
    LiteraturePaper.objects.bulk_update(changed, ["title", "abstract", "date", "year", "venue", "content_sha256"],
                                        batch_size=2000)
    return LiteratureImportResult(created=len(new), updated=len(changed),
                                  unchanged=len(parsed) - len(new) - len(changed))


DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_STUDY = "demo-novelty"


@transaction.atomic
def novelty_demo_setup(*, reviewer_username: str | None = None) -> Study:
    """The novelty demo: the fictional submissions and corpus of ``novelty/demo/`` as study
    ``demo-novelty`` using the pipeline and its holistic baseline, with the submissions assigned
    to the user ``reviewer_username`` (if that account exists). Running it again changes nothing."""
    from instruments.selectors import builtin_definition_files
    from instruments.services import instrument_load
    from ratings.services import study_get_or_create, targets_import
    from ratings.services.assignments import assignments_create
    from ratings.services.studies import study_use_instrument
    from ratings.tabular import read_file

    versions = {p.stem: instrument_load(text=p.read_text(encoding="utf-8")).version
                for p in builtin_definition_files() if p.stem.startswith("novelty-")}
    study, _ = study_get_or_create(slug=DEMO_STUDY, title="Demo: novelty of fictional submissions")
    for version in versions.values():
        study_use_instrument(study=study, version=version)
    targets_import(study=study, rows=read_file(DEMO_DIR / "submissions.jsonl"), fmt="jsonl")
    literature_import(study=study, rows=read_file(DEMO_DIR / "literature.jsonl"))
    rater = Rater.objects.filter(user__username=reviewer_username).first() if reviewer_username else None
    if rater is not None:
        assignments_create(rater=rater, targets=study.targets.all(), version=versions["novelty-assessment"])
    return study


def artefacts_delete_for_study(*, study: Study, **_signal) -> int:
    """Delete the pipeline artefacts of ``study``'s ratings (claims quote the paper). Connected
    to ``study_material_deleted``, so it runs inside the deleting transaction; the ratings and
    their scores stay. Returns how many artefacts were deleted."""
    deleted, _ = PipelineArtefact.objects.filter(rating__target__study=study).delete()
    return deleted


def artefacts_reencrypt(**_signal) -> tuple[str, int, int]:
    """Re-encrypt every pipeline artefact not yet under the first key of ANCHOR_ENCRYPTION_KEYS
    (connected to ``material_reencrypt``, sent by ``rotate_encryption_key``); one transaction per
    batch, so an interrupted run leaves every row readable and a second run finishes it."""
    from django.db import connection

    from ratings.encryption import encrypted_with_primary

    table = connection.ops.quote_name(PipelineArtefact._meta.db_table)
    ids = list(PipelineArtefact.objects.order_by("pk").values_list("pk", flat=True))
    done = current = 0
    for start in range(0, len(ids), 500):
        batch = ids[start:start + 500]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT id, data, gate FROM {table} WHERE id IN ({', '.join(['%s'] * len(batch))})", batch)
            stale = [pk for pk, data, gate in cursor.fetchall()
                     if not (encrypted_with_primary(data) and encrypted_with_primary(gate))]
            rows = list(PipelineArtefact.objects.filter(pk__in=stale).select_for_update())
            PipelineArtefact.objects.bulk_update(rows, ["data", "gate"])
        done, current = done + len(rows), current + len(batch) - len(rows)
    return "pipeline artefact(s)", done, current


def artefacts_exported(*, actor: Actor, job) -> None:
    """Someone read a pipeline job's stage artefacts (they quote the papers): recorded."""
    access_record(actor=actor, action="export", object_type="pipeline artefacts", object_id=f"job {job.pk}",
                  study=job.study)
