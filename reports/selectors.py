"""Reads for reports, scoped to who asks."""

from django.http import Http404

from instruments.models import InstrumentVersion
from ratings.models import Study
from ratings.selectors import studies_for_user


def reportable_studies(*, user):
    """Studies whose report ``user`` may read: the ones ``studies_for_user`` shows them."""
    return studies_for_user(user=user)


def report_instrument_version(study: Study, reference: str | None = None) -> InstrumentVersion:
    """The study's instrument version named by ``reference`` (``slug`` or ``slug@version``),
    or its only one; ``ValueError`` with a sentence when that is ambiguous or unknown."""
    versions = list(study.instrument_versions.select_related("instrument").order_by("-published_at"))
    if reference:
        slug, _, version = reference.partition("@")
        versions = [v for v in versions if v.instrument.slug == slug and version in ("", v.version)]
        if not versions:
            raise ValueError(f"The study does not use an instrument {reference!r}.")
        return versions[0]
    if not versions:
        raise ValueError("The study uses no instrument yet.")
    if len({v.instrument.slug for v in versions}) > 1:
        raise ValueError("The study uses several instruments: name one (--instrument SLUG).")
    return versions[0]


def report_study_for_user(*, user, slug: str) -> Study:
    """The study, if ``user`` may read its report; otherwise 404, as if it did not exist."""
    study = reportable_studies(user=user).filter(slug=slug).first()
    if study is None:
        raise Http404("No such study.")
    return study
