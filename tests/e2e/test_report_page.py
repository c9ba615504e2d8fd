"""The report page in chromium: tables and inline SVG plots render; a screenshot is kept for
people to look at (var/screenshots/report.png)."""

from pathlib import Path

import pytest

from reports.services import report_options, report_run_get_or_start
from tests.reports.conftest import demo_study  # noqa: F401  (the demo study with a fake LLM rater)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_report_page_in_the_browser(demo_study, live_server, page, settings):
    settings.ANCHOR_REPORT_N_BOOT = 100
    # Computed once beforehand, as a worker or an earlier view would: the page then serves the cached
    # report and its stored HTML (on a loaded machine computing it inline can outlast the click's wait).
    study, version = demo_study
    report_run_get_or_start(study=study, version=version, options=report_options())
    page.goto(f"{live_server.url}/accounts/login/?next=/studies/demo-engagement/report/")
    page.fill("input[name=username]", "creator")
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]", timeout=300_000)  # the report is computed for this request
    page.wait_for_url(f"{live_server.url}/studies/demo-engagement/report/", timeout=300_000)
    assert "1. Human panel reliability" in page.inner_text("body")
    assert page.locator("table").count() >= 6
    figures = page.locator(".figure svg")
    assert figures.count() >= 8
    for group in ("Score distributions", "Rater-by-rater agreement", "Item-total correlations",
                  "Calibration (reliability diagrams): llm-fake"):
        assert page.locator(f'[data-figure="{group}"] svg').count() >= 1, group
    assert page.locator("#download-tables").is_visible()
    box = figures.first.bounding_box()
    assert box["width"] > 100 and box["height"] > 100  # the SVG really renders
    # every visible plot's smallest text, as laid out at this page's width, is at least 10 px
    smallest = page.evaluate("""() => Math.min(...[...document.querySelectorAll('.figure svg')]
        .filter(svg => svg.getBoundingClientRect().width > 0)
        .map(svg => {
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return Math.min(...[...svg.querySelectorAll('text')].map(t =>
                parseFloat(getComputedStyle(t).fontSize) * scale));
        }))""")
    assert smallest >= 10, smallest
    folder = Path(settings.VAR_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.locator(".figures").scroll_into_view_if_needed()
    page.screenshot(path=str(folder / "report.png"), full_page=True)
    assert (folder / "report.png").stat().st_size > 10_000
