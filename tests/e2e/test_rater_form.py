"""A rater answers with the keyboard in a real browser, reloads mid-way, finds the draft, submits.

The study and assignments are set up through the services the manager pages will call.
"""

import pytest

from ratings.models import Rater, Rating
from ratings.services.demo import DEMO_STUDY, demo_setup

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

KEYS = ["4", "3", "4", "5", "4", "3", "2", "4", "3"]  # the first nine items; the tenth comes later


def sign_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/rate/")


def test_rater_answers_with_the_keyboard_and_the_draft_survives_a_reload(live_server, page, screenshot,
                                                                         django_user_model):
    demo_setup()
    sign_in(page, live_server, "rater", "anchor-rater")
    assert "0 of 14 done" in page.inner_text("main")
    page.click("section.queue a:text-is('Rate') >> nth=0")
    page.wait_for_selector("fieldset.item:focus")  # the first item has the focus, ready for keys
    for key in KEYS[:5]:
        page.keyboard.press(key)
    page.wait_for_selector("#save-status:has-text('Draft saved')")
    screenshot("rater-form")
    page.reload()
    checked = page.eval_on_selector_all("input[type=radio]:checked", "els => els.map(e => e.value)")
    assert checked == KEYS[:5]
    page.focus("#item-task_agreement")
    for key in KEYS[5:]:
        page.keyboard.press(key)
    page.click("#submit")  # the tenth (required) item is still unanswered
    assert "This item is required" in page.inner_text("#error-resistance")
    assert page.evaluate("document.activeElement.id") == "item-resistance"
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.id") == "item-between_session_effort"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("1")
    page.click("#submit")
    page.wait_for_url(f"{live_server.url}/rate/")
    assert "1 of 14 done" in page.inner_text("main")
    screenshot("rater-queue")

    rating = Rating.objects.get(rater__name="demo-rater")
    assert rating.status == "submitted" and rating.instrument_version.instrument.slug == "therapy-engagement"
    scores = [int(s.score) for s in rating.item_scores.order_by("item__position")]
    assert scores == [int(k) for k in KEYS] + [1]
    assert rating.seconds_spent > 0


def test_a_second_rater_cannot_open_the_first_raters_assignment(live_server, page, django_user_model):
    demo_setup()
    assignment = Rater.objects.get(name="demo-rater").assignments.first()
    django_user_model.objects.create_user(username="other", password="other-pass-1")
    sign_in(page, live_server, "other", "other-pass-1")
    response = page.goto(f"{live_server.url}/rate/{assignment.pk}/")
    assert response.status == 404
    assert Rating.objects.filter(target__study__slug=DEMO_STUDY, rater__name="demo-rater").count() == 0
