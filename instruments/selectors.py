"""Reads for instruments."""

from pathlib import Path

from django.db.models import QuerySet

from .models import InstrumentVersion

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"


def builtin_definition_files() -> list[Path]:
    return sorted(BUILTIN_DIR.glob("*.yaml"))


def instrument_version_get(*, reference: str) -> InstrumentVersion:
    """``slug`` (the latest published version) or ``slug@version``; DoesNotExist if absent."""
    slug, _, version = reference.partition("@")
    versions = InstrumentVersion.objects.select_related("instrument").filter(instrument__slug=slug)
    if version:
        return versions.get(version=version)
    latest = versions.order_by("-published_at", "-pk").first()
    if latest is None:
        raise InstrumentVersion.DoesNotExist(f"no instrument {slug!r} is published")
    return latest


def instrument_versions_all() -> QuerySet[InstrumentVersion]:
    return InstrumentVersion.objects.select_related("instrument").all()
