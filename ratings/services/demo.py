"""The demo: built-in instruments, a study of fictional sessions with two raters' ratings,
and a demo admin and rater, so a fresh install has something to look at."""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from instruments.selectors import builtin_definition_files, instrument_version_get
from instruments.services import instrument_load
from ratings.models import Rater
from ratings.tabular import read_file

from .assignments import assignments_create
from .codes_import import codes_import
from .ratings_import import ratings_import
from .roles import roles_ensure
from .studies import study_get_or_create, study_use_instrument
from .targets import targets_import

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
DEMO_STUDY = "demo-engagement"
DEMO_INSTRUMENT = "therapy-engagement"
DEMO_CODING_STUDY = "demo-mi-coding"
DEMO_CODING_INSTRUMENT = "mi-coding"
# Demo credentials are printed by `make run`; they exist only in a local demo database, never
# under ANCHOR_PRODUCTION (refused here, and `check --deploy` fails while one still signs in).
DEMO_ADMIN = ("admin", "anchor-admin")
DEMO_RATER = ("rater", "anchor-rater")
DEMO_ACCOUNTS = (DEMO_ADMIN, DEMO_RATER)


class DemoAccountsRefused(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    password: str | None  # None when the account existed and its password was left alone


@transaction.atomic
def demo_setup(*, accounts: bool = True) -> list[DemoAccount]:
    """Load everything the demo needs; running it again changes nothing. The demo accounts
    (their passwords are public) are refused under ``ANCHOR_PRODUCTION``: there, ask for
    ``accounts=False`` (the instruments and the demo study only)."""
    if accounts and getattr(settings, "ANCHOR_PRODUCTION", False):
        raise DemoAccountsRefused("ANCHOR_PRODUCTION is set: the demo accounts (public passwords) are not created")
    for path in builtin_definition_files():
        instrument_load(text=path.read_text(encoding="utf-8"))
    version = instrument_version_get(reference=DEMO_INSTRUMENT)
    study, _ = study_get_or_create(slug=DEMO_STUDY, title="Demo: engagement in fictional therapy sessions")
    study_use_instrument(study=study, version=version)
    targets_import(study=study, rows=read_file(DEMO_DIR / "targets.jsonl"), fmt="jsonl")
    ratings_import(study=study, rows=read_file(DEMO_DIR / "ratings.csv"), instrument=DEMO_INSTRUMENT)
    _coding_demo()
    roles_ensure()
    if not accounts:
        return []
    admin = _account(*DEMO_ADMIN, superuser=True)
    rater_account = _account(*DEMO_RATER, superuser=False)
    user = get_user_model().objects.get(username=DEMO_RATER[0])
    rater, _ = Rater.objects.get_or_create(name="demo-rater", study=None, defaults={"kind": Rater.Kind.HUMAN, "user": user})
    assignments_create(rater=rater, targets=study.targets.all(), version=version)
    return [admin, rater_account]


def _coding_demo() -> None:
    """Six fictional counselling sessions, segmented by utterance, coded by two coders."""
    study, _ = study_get_or_create(slug=DEMO_CODING_STUDY, title="Demo: utterance coding of fictional MI sessions")
    study_use_instrument(study=study, version=instrument_version_get(reference=DEMO_CODING_INSTRUMENT))
    targets_import(study=study, rows=read_file(DEMO_DIR / "coding" / "transcripts.jsonl"), fmt="jsonl")
    codes_import(study=study, rows=read_file(DEMO_DIR / "coding" / "codes.csv"), instrument=DEMO_CODING_INSTRUMENT)


def _account(username: str, password: str, *, superuser: bool) -> DemoAccount:
    users = get_user_model().objects
    if users.filter(username=username).exists():
        return DemoAccount(username, None)
    if superuser:
        users.create_superuser(username=username, password=password, email="")
    else:
        users.create_user(username=username, password=password)
    return DemoAccount(username, password)
