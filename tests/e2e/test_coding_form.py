"""A coder codes a transcript utterance by utterance with the keyboard, reloads mid-way, finds
the draft, submits. Locators only (the page's CSP refuses eval'd predicates)."""

import pytest
from playwright.sync_api import expect

from instruments.selectors import instrument_version_get
from ratings.models import Assignment, Rater, Rating
from ratings.services.assignments import assignments_create
from ratings.services.demo import DEMO_CODING_STUDY, demo_setup

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# MI01: question, neutral, reflection, neutral, question, change, reflection, change, input, change, reflection, other
KEYS = ["2", "2", "1", "2", "2", "1", "1", "1", "3", "1", "1", "4"]
CODES = ["question", "neutral", "reflection", "neutral", "question", "change", "reflection", "change",
         "therapist_input", "change", "reflection", "other"]


def _checked(page) -> list[str]:
    radios = page.locator("input[type=radio]:checked")
    return [radios.nth(i).get_attribute("value") for i in range(radios.count())]


def test_coder_codes_by_keyboard_and_the_draft_survives_a_reload(live_server, page, screenshot, django_user_model):
    demo_setup(accounts=False)
    user = django_user_model.objects.create_user(username="coder", password="coder-pw")
    rater = Rater.objects.create(name="coder", kind="human", user=user)
    version = instrument_version_get(reference="mi-coding")
    assignments_create(rater=rater, targets=version.studies.get(slug=DEMO_CODING_STUDY).targets.all(), version=version)
    assignment = Assignment.objects.get(rater=rater, target__external_id="MI01")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "coder")
    page.fill("input[name=password]", "coder-pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/rate/")
    page.goto(f"{live_server.url}/rate/{assignment.pk}/")
    expect(page.locator("fieldset.item:focus")).to_have_id("cell-1")
    for n, key in enumerate(KEYS[:5], start=2):
        page.keyboard.press(key)
        expect(page.locator("fieldset.item:focus")).to_have_id(f"cell-{n}")  # the next utterance comes up
    expect(page.locator("#segment-1")).to_be_visible()  # the utterances before stay on the page
    expect(page.locator("#save-status")).to_have_text("Draft saved")
    expect(page.locator("#answered-count")).to_have_text("5")
    screenshot("coding-form")
    page.reload()
    assert _checked(page) == KEYS[:5]
    expect(page.locator("fieldset.item:focus")).to_have_id("cell-6")  # the first uncoded utterance
    for key in KEYS[5:-1]:
        page.keyboard.press(key)
    page.click("#submit")  # the last utterance is still uncoded
    expect(page.locator("#cell-12 p.error")).to_have_text("This item is required: choose one of the points.")
    expect(page.locator("fieldset.item:focus")).to_have_id("cell-12")
    page.keyboard.press(KEYS[-1])
    page.click("#submit")
    page.wait_for_url(f"{live_server.url}/rate/")

    rating = Rating.objects.get(rater=rater, target__external_id="MI01")
    assert rating.status == "submitted" and rating.source == "form"
    assert [c.code for c in rating.segment_codes.all()] == CODES
    assert rating.seconds_spent > 0
