"""Creating studies and choosing the instruments they use."""

from django.db import transaction

from instruments.models import InstrumentVersion
from ratings.models import Study

# Study slugs are one namespace for the installation (they are in every URL). Whether a slug is
# taken, by your study or by one you cannot see, or reserved (API batches name their studies
# ``batch-...``), is answered with the same sentence, which never says that a study exists.
SLUG_NOT_AVAILABLE = "this slug is not available; choose another"
RESERVED_SLUG_PREFIXES = ("batch-",)


def study_slug_available(*, slug: str) -> bool:
    return not slug.startswith(RESERVED_SLUG_PREFIXES) and not Study.objects.filter(slug=slug).exists()


@transaction.atomic
def study_get_or_create(*, slug: str, title: str | None = None, description: str = "",
                        created_by=None) -> tuple[Study, bool]:
    """The study with ``slug``, created (titled ``title`` or the slug) if it does not exist;
    its creator, if given, becomes one of its managers."""
    study = Study.objects.filter(slug=slug).first()
    if study is not None:
        return study, False
    study = Study(slug=slug, title=title or slug, description=description, created_by=created_by)
    study.full_clean()
    study.save()
    if created_by is not None:
        study.managers.add(created_by)
    return study, True


def study_use_instrument(*, study: Study, version: InstrumentVersion) -> None:
    """Record that ``study`` uses ``version`` (idempotent)."""
    study.instrument_versions.add(version)
