"""Which instrument version an imported row belongs to, for the ratings and the codes imports."""

from instruments.models import InstrumentVersion
from instruments.selectors import instrument_version_get
from ratings.models import Study


class InstrumentResolver:
    """A row's ``instrument`` reference (``slug`` or ``slug@version``), else the import's default,
    else the study's only instrument; each reference looked up once. ``lookup`` raises
    ``ValueError`` with the sentence the import shows beside the row (a subclass narrows it)."""

    def __init__(self, study: Study, default: str | None):
        self.study, self.default, self.cache = study, default, {}

    def resolve(self, reference: str | None) -> InstrumentVersion:
        reference = (reference or "").strip() or self.default
        if reference not in self.cache:
            self.cache[reference] = self.lookup(reference)
        return self.cache[reference]

    def lookup(self, reference: str | None) -> InstrumentVersion:
        if reference:
            try:
                return instrument_version_get(reference=reference)
            except InstrumentVersion.DoesNotExist:
                raise ValueError(f"no published instrument {reference!r}") from None
        used = list(self.study.instrument_versions.all()[:2])
        if len(used) == 1:
            return used[0]
        if not used:
            raise ValueError("the study uses no instrument yet: add an `instrument` column or option")
        raise ValueError("the study uses several instruments: add an `instrument` column or option")
