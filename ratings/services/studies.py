"""Creating studies, choosing the instruments they use, and declaring their rating design."""

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.actor import Actor
from audit.services import audit_record
from instruments.models import InstrumentVersion
from ratings.models import Study

DESIGNS = tuple(Study.RatingDesign.values)


class StudyDesignError(ValueError):
    """A rating design that is not one of ``DESIGNS`` or contradicts the study's declaration."""


def _check_design(design: str) -> str:
    if design not in ("", *DESIGNS):
        raise StudyDesignError(f"rating design {design!r} is not one of {', '.join(DESIGNS)} (or blank: undeclared)")
    return design


# Study slugs are one namespace for the installation (they are in every URL). Whether a slug is
# taken, by your study or by one you cannot see, or reserved (API batches name their studies
# ``batch-...``), is answered with the same sentence, which never says that a study exists.
SLUG_NOT_AVAILABLE = "this slug is not available; choose another"
RESERVED_SLUG_PREFIXES = ("batch-",)


def study_slug_available(*, slug: str) -> bool:
    return not slug.startswith(RESERVED_SLUG_PREFIXES) and not Study.objects.filter(slug=slug).exists()


@transaction.atomic
def study_get_or_create(*, slug: str, title: str | None = None, description: str = "",
                        rating_design: str = "", created_by=None) -> tuple[Study, bool]:
    """The study with ``slug``, created (titled ``title`` or the slug) if it does not exist;
    its creator, if given, becomes one of its managers. An existing study is returned as it is
    (its design is changed only by `study_set_rating_design`)."""
    study = Study.objects.filter(slug=slug).first()
    if study is not None:
        return study, False
    study = Study(slug=slug, title=title or slug, description=description,
                  rating_design=_check_design(rating_design), created_by=created_by)
    study.full_clean()
    study.save()
    if created_by is not None:
        study.managers.add(created_by)
    return study, True


@transaction.atomic
def study_set_rating_design(*, study: Study, design: str, actor: Actor | None = None) -> str:
    """Declare how raters are laid over ``study``'s targets (``crossed`` or ``one-way``; ``""``
    clears the declaration, and the report infers the design again). Returns the previous value;
    with an ``actor`` the change is audited in the same transaction."""
    previous = study.rating_design
    study.rating_design = _check_design(design)
    try:
        study.full_clean()
    except ValidationError as exc:
        raise StudyDesignError("; ".join(exc.messages)) from exc
    study.save(update_fields=["rating_design"])
    if actor is not None:
        audit_record(actor=actor, action="change", object_type="study", object_id=study.slug, study=study,
                     detail={"rating_design": study.rating_design, "previous": previous})
    return previous


@transaction.atomic
def study_update(*, study: Study, title: str | None = None, description: str | None = None,
                 rating_design: str | None = None, actor: Actor | None = None) -> Study:
    """Change a study's title, description or rating design (the fields given); with an
    ``actor`` the change is audited in the same transaction."""
    previous = study.rating_design
    if rating_design is not None:
        study_set_rating_design(study=study, design=rating_design)
    fields = [name for name, value in (("title", title), ("description", description)) if value is not None]
    for name in fields:
        setattr(study, name, {"title": title, "description": description}[name])
    if fields:
        study.full_clean()
        study.save(update_fields=fields)
    if actor is not None:
        changed = {name: value for name, value in (("title", title), ("description", description),
                                                   ("rating_design", rating_design)) if value is not None}
        if rating_design is not None:
            changed["previous_rating_design"] = previous
        audit_record(actor=actor, action="change", object_type="study", object_id=study.slug, study=study,
                     detail=changed)
    return study


def study_use_instrument(*, study: Study, version: InstrumentVersion, actor: Actor | None = None,
                         detail: dict | None = None) -> None:
    """Record that ``study`` uses ``version`` (idempotent); with an ``actor`` the change is
    audited in the same transaction."""
    study.instrument_versions.add(version)
    if actor is not None:
        audit_record(actor=actor, action="create", object_type="instrument", study=study,
                     detail={"version": str(version), **(detail or {})})
