"""Writes for instruments: publishing a validated definition as a version."""

from dataclasses import dataclass

from django.db import transaction

from .definition import DefinitionError, Problem, build_spec, content_hash, load_definition
from .models import Instrument, InstrumentVersion, Item


@dataclass(frozen=True, slots=True)
class PublishResult:
    version: InstrumentVersion
    created: bool


@transaction.atomic
def instrument_publish(*, document: dict) -> PublishResult:
    """Store a validated definition as a new version, or find the identical one.

    Publishing the same content twice is a no-op (``created`` False). Different content
    under a version number that is already published is refused: published versions are
    immutable, so the definition must carry a new version number.
    """
    digest = content_hash(document)
    existing = InstrumentVersion.objects.filter(content_hash=digest).first()
    if existing is not None:
        return PublishResult(existing, created=False)
    instrument, _ = Instrument.objects.get_or_create(
        slug=document["slug"], defaults={"title": document["title"]}
    )
    if instrument.versions.filter(version=document["version"]).exists():
        raise DefinitionError([Problem(
            "version",
            f"{document['slug']} {document['version']} is already published with different "
            "content; published versions are immutable, so give the edited definition a new version",
        )])
    Instrument.objects.filter(pk=instrument.pk).update(title=document["title"])
    version = InstrumentVersion(
        instrument=instrument, version=document["version"], kind=document["kind"],
        title=document["title"], definition=document, content_hash=digest,
    )
    version.full_clean()
    version.save()
    Item.objects.bulk_create(
        Item(instrument_version=version, code=item.code, position=item.position, text=item.text,
             scale_min=item.scale.min, scale_max=item.scale.max, level=item.scale.level,
             reverse=item.reverse, required=item.required)
        for item in build_spec(document).items
    )
    return PublishResult(version, created=True)


def instrument_load(*, text: str, fmt: str = "yaml") -> PublishResult:
    """Parse, validate and publish a definition's text; ``DefinitionError`` lists every problem."""
    return instrument_publish(document=load_definition(text, fmt=fmt))
