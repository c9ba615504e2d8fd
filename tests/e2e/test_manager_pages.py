"""The whole manager path in chromium, without typing a URL after signing in: create a study,
upload an instrument and targets, invite two raters (each chooses a password at first sign-in),
design and commit an overlapping assignment, score the study with the bundled LLM on a real
Celery worker (in-process, in-memory broker) and follow the job page, open the report, reopen a
rating. axe-core checks every page the manager and the raters see; screenshots of the study
page, the job page, the queue, the rater form and the report go to var/screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from instruments.selectors import builtin_definition_files
from ratings.models import Assignment, Rating
from ratings.services.roles import user_grant_role

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TARGETS = "id,text\n" + "".join(
    f'P{i},"Therapist: How was week {i}?\nClient: {line}"\n' for i, line in enumerate([
        "I did the exercises every day and I want to keep going.",
        "I don't see the point of any of this.",
        "Better. I wrote down my bedtimes like we said.",
        "Tired. Maybe we can talk about work, I guess.",
    ]))
PASSWORD = "violet-harbour-42"
KEYS = "4343432431"


def _sign_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def _rater_first_sign_in(browser, live_server, axe_check, username, one_time):
    from .conftest import LAPTOP

    context = browser.new_context(viewport=LAPTOP, bypass_csp=True)  # playwright polls with eval; tests/e2e/test_csp.py checks the policy
    page = context.new_page()
    _sign_in(page, live_server, username, one_time)
    page.wait_for_url("**/accounts/password_change/?first=1")
    assert "You signed in with a one-time password" in page.inner_text("main")
    axe_check(page, "password change")
    page.fill("input[name=old_password]", one_time)
    page.fill("input[name=new_password1]", PASSWORD)
    page.fill("input[name=new_password2]", PASSWORD)
    page.click("#password-change button[type=submit]")
    page.wait_for_url(f"{live_server.url}/rate/")
    assert "Your new password is set." in page.inner_text("main")
    return context, page


def _answer_all(page, axe_check=None, name=""):
    """Answer every item with the keyboard from the first unanswered one, then Submit & next."""
    page.wait_for_selector("fieldset.item:focus")
    if axe_check:
        axe_check(page, name)
    for key in KEYS:
        page.keyboard.press(key)
    assert "10 of 10 answered" in page.inner_text("#answered-line")


def test_a_manager_runs_a_study_in_the_browser(live_server, browser, page, axe_check, screenshots, tmp_path,
                                               django_user_model, settings, celery_worker_in_process):
    settings.ANCHOR_REPORT_N_BOOT = 100
    manager = django_user_model.objects.create_user(username="mgr", password=PASSWORD)
    user_grant_role(user=manager, role="study-managers")
    targets = tmp_path / "pilot.csv"
    targets.write_text(TARGETS)
    definition = next(p for p in builtin_definition_files() if p.stem == "therapy-engagement")

    # Sign in: a manager lands on the studies.
    _sign_in(page, live_server, "mgr", PASSWORD)
    page.wait_for_url(f"{live_server.url}/manage/")
    axe_check(page, "studies")
    page.fill("#new-study input[name=slug]", "pilot")
    page.fill("#new-study input[name=title]", "Pilot study")
    page.set_input_files("#new-study input[name=targets]", str(targets))
    page.click("#new-study button[type=submit]")
    page.wait_for_url(f"{live_server.url}/manage/pilot/")
    assert "4 targets created" in page.inner_text("main")
    assert "No instrument yet" in page.inner_text("#status-instruments")
    axe_check(page, "study page, new")
    page.fill("#target-q", "P3")  # the target search narrows the list as one types (htmx)
    expect(page.locator("#targets tbody tr")).to_have_count(1)  # a locator, not an eval'd predicate (CSP)
    assert "P3" in page.inner_text("#targets tbody")

    # Step 2: upload the instrument definition.
    page.set_input_files("#instrument-upload input[name=definition]", str(definition))
    page.click("#instrument-upload button")
    page.wait_for_selector("#status-instruments:has-text('therapy-engagement@1.0.0')")

    # Step 3: invite two raters; each password is shown once, on the page.
    accounts = {}
    for name in ("ann", "ben"):
        page.fill("#invite input[name=name]", name)
        page.click("#invite button")
        page.wait_for_selector("#invited")
        accounts[page.inner_text("#invited-username")] = page.inner_text("#invited-password")
        assert page.inner_text("#invited-username").startswith(f"{name}-")
    axe_check(page, "study page, rater invited")
    ann, ben = accounts

    # Step 4: an overlapping design (2 targets rated by both, the rest by one), previewed, committed.
    page.check(f"#design input[value={ann}]")
    page.check(f"#design input[value={ben}]")
    page.fill("#design input[name=per_target]", "1")
    page.fill("#design input[name=overlap]", "2")
    page.click("#design button[value=preview]")
    assert ann in page.inner_text("#design-matrix") and "rated by every rater" in page.inner_text("#design-preview")
    axe_check(page, "study page, design preview")
    page.click("#commit")
    page.wait_for_selector(".messages:has-text('6 assignments created')")
    assert Assignment.objects.filter(target__study__slug="pilot").count() == 6
    page.evaluate("window.scrollTo(0, 0)")
    screenshots(page, "study-page")

    # Step 5: score the (small) study with the bundled LLM and follow the job.
    page.click("#score button[value=score]")
    page.wait_for_url(re.compile(r"/jobs/\d+/"), timeout=60_000)
    assert page.locator("header.top").count() == 1 and page.locator("#cancel-job").count() == 1
    # Progress within a target: the worker's item count, re-polled by htmx under the CSP.
    expect(page.locator("#current")).to_contain_text(re.compile(r"target \d of 4 \(P\d\), item \d+ of 10"),
                                                      timeout=600_000)
    axe_check(page, "job page, running")
    screenshots(page, "job-page")
    page.wait_for_selector("#status:text-is('done')", timeout=600_000)
    assert "4 of 4 targets" in page.inner_text("#summary")
    assert page.locator("#cancel-job").count() == 0
    axe_check(page, "job page, done")
    page.click("#back-to-study")
    page.wait_for_url(f"{live_server.url}/manage/pilot/#step-scoring")
    assert ": done, 4 of 4 targets scored" in page.inner_text("#status-scoring")

    # The raters: first sign-in, then the queue and the form, Submit & next through their work.
    for username in (ann, ben):
        context, rater_page = _rater_first_sign_in(browser, live_server, axe_check, username, accounts[username])
        assert "0 of 3 done" in rater_page.inner_text("main")
        axe_check(rater_page, "queue")
        if username == ann:
            screenshots(rater_page, "queue")
        rater_page.click("section.queue a:text-is('Rate') >> nth=0")
        for n in range(3):
            _answer_all(rater_page, axe_check if n == 0 else None, "rater form")
            if n == 0 and username == ann:
                screenshots(rater_page, "rater-form")
            button = "#submit-next" if n < 2 else "#submit"
            rater_page.click(button)
            if n < 2:
                rater_page.wait_for_selector(".messages:has-text('submitted. Next:')")
        rater_page.wait_for_url(f"{live_server.url}/rate/")
        assert "3 of 3 done" in rater_page.inner_text("main")
        context.close()
    assert Rating.objects.filter(source="form", status="submitted").count() == 6

    # Step 6: the report, reached by links.
    page.click("#nav-studies")
    page.click("a:text-is('pilot')")
    assert "6 human ratings and 4 LLM ratings submitted." in page.inner_text("#status-report")
    page.click("#report-link", timeout=600_000)  # the report is computed for this request
    page.wait_for_selector("text=1. Human panel reliability", timeout=300_000)
    axe_check(page, "report")
    screenshots(page, "report")

    # Reopen a rating: it goes back to the rater's queue.
    page.go_back()
    page.click("#ratings-link")
    axe_check(page, "ratings")
    page.click(f"#study-ratings tr:has-text('{ann}') button:has-text('Reopen') >> nth=0")
    page.wait_for_selector(".messages:has-text('is reopened')")
    assert Rating.objects.filter(rater__name=ann, status="draft").count() == 1
    assert Assignment.objects.filter(rater__name=ann, status="in_progress").count() == 1
    print("axe-checked pages:", ", ".join(axe_check.pages))
