"""The Content-Security-Policy in chromium: the report's inline SVG plots, the rater form's
script (keyboard answers, draft autosave), the scoring job page's nonce'd script and Swagger UI
(served from the package) all work, and the browser reports no violation."""

import pytest

from ratings.models import ScoringJob
from ratings.services.demo import demo_setup
from reports.services import report_options, report_run_get_or_start
from tests.reports.conftest import demo_study  # noqa: F401  (the demo study with a fake LLM rater)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _watch(page) -> list[str]:
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text else None)
    return violations


def _sign_in(page, live_server, username, password, next_url):
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}{next_url}")


def test_report_scoring_job_page_and_swagger_ui_under_the_policy(demo_study, live_server, page, settings):  # noqa: F811
    settings.ANCHOR_REPORT_N_BOOT = 20
    study, version = demo_study
    report_run_get_or_start(study=study, version=version, options=report_options())  # cached before the visit
    violations = _watch(page)
    _sign_in(page, live_server, "creator", "pw", "/studies/demo-engagement/report/")
    box = page.locator(".figure svg").first.bounding_box()
    assert box["width"] > 100 and box["height"] > 100  # the inline SVG renders under the policy
    job = ScoringJob.objects.get()
    page.goto(f"{live_server.url}/jobs/{job.pk}/")
    page.wait_for_timeout(500)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "Anchor API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert violations == []


def test_the_rater_forms_script_runs_under_the_policy(live_server, page):
    demo_setup()
    violations = _watch(page)
    _sign_in(page, live_server, "rater", "anchor-rater", "/rate/")
    page.click("section.queue a:text-is('Rate') >> nth=0")
    page.wait_for_selector("fieldset.item:focus")  # the script moved the focus
    page.keyboard.press("4")
    page.wait_for_selector("#save-status:has-text('Draft saved')")  # the autosave request went out
    assert violations == []
