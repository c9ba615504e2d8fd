"""The stand-in section in chromium, on the demo's ratings plus an imported outside judge; the
screenshot is kept (var/screenshots/stand-in.png)."""

from pathlib import Path

import numpy as np
import pytest

from ratings.models import ItemScore, Rater, Rating
from tests.reports.conftest import demo_study  # noqa: F401  (the demo study with a fake LLM rater)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _import_judge(study, version):
    """An outside judge as issue 14b imports one: kind llm, source import, numbers possibly non-integer."""
    judge = Rater.objects.create(name="outside-judge", kind=Rater.Kind.LLM)
    rng = np.random.default_rng(0)
    items = list(version.items.all())
    for target in study.targets.all():
        rating = Rating.objects.create(rater=judge, target=target, instrument_version=version,
                                       source=Rating.Source.IMPORT,
                                       provenance={"imported": True, "file_name": "judge.csv",
                                                   "file_sha256": "0" * 64, "model": ""})
        values = np.clip(rng.normal(3, 1, size=len(items)), 1, 5)
        ItemScore.objects.bulk_create([ItemScore(rating=rating, item=item, score=float(round(v)),
                                                 expected_score=float(v)) for item, v in zip(items, values)])


def test_stand_in_section_in_the_browser(demo_study, live_server, page, settings):  # noqa: F811
    settings.ANCHOR_REPORT_N_BOOT = 100
    _import_judge(*demo_study)
    page.set_default_timeout(240_000)  # the report is computed on the first visit; the machine is shared
    page.goto(f"{live_server.url}/accounts/login/?next=/studies/demo-engagement/report/")
    page.fill("input[name=username]", "creator")
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/studies/demo-engagement/report/")
    summary = page.locator("#stand-in-summary")
    assert summary.is_visible() and "Can the LLM stand in for humans?" in summary.inner_text()
    body = page.inner_text("body")
    for rater in ("llm-fake", "outside-judge"):
        assert f"9. Can the LLM stand in for humans? LLM {rater}" in body
    assert "no verdict" in body  # two human raters: below the alt-test's minimum sizes
    folder = Path(settings.VAR_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.get_by_text("9. Can the LLM stand in for humans? LLM llm-fake").scroll_into_view_if_needed()
    page.screenshot(path=str(folder / "stand-in.png"), full_page=True)
    assert (folder / "stand-in.png").stat().st_size > 10_000
