"""Creating studies and choosing the instruments they use."""

from django.db import transaction

from instruments.models import InstrumentVersion
from ratings.models import Study


@transaction.atomic
def study_get_or_create(*, slug: str, title: str | None = None, created_by=None) -> tuple[Study, bool]:
    """The study with ``slug``, created (titled ``title`` or the slug) if it does not exist."""
    study = Study.objects.filter(slug=slug).first()
    if study is not None:
        return study, False
    study = Study(slug=slug, title=title or slug, created_by=created_by)
    study.full_clean()
    study.save()
    return study, True


def study_use_instrument(*, study: Study, version: InstrumentVersion) -> None:
    """Record that ``study`` uses ``version`` (idempotent)."""
    study.instrument_versions.add(version)
