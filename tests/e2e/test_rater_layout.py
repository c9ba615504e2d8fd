"""The rater's form and queue at 1366x768 and on a 390 px phone: scales on one row (a compact
strip on the phone), the chosen point highlighted, the material keyboard-scrollable, the focus on
the first unanswered item after a reload without scrolling the phone past the material, a summary
of what is missing at submit, the queue's links inside the screen; axe-core on each page, and on
the sign-in page, the 403 page and the audit log."""

import pytest

from ratings.models import Rater
from ratings.services.demo import demo_setup

from .conftest import LAPTOP, PHONE
from .test_rater_form import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _rows_of_points(page, item_id):
    """The distinct vertical positions of an item's points (one value: one row)."""
    return page.eval_on_selector_all(f"#{item_id} label.point",
                                     "els => [...new Set(els.map(e => Math.round(e.getBoundingClientRect().top)))]")


@pytest.fixture
def long_material():
    demo_setup()
    rater = Rater.objects.get(name="demo-rater")
    target = rater.assignments.order_by("target__external_id").first().target
    return target


@pytest.mark.parametrize("viewport", [pytest.param(LAPTOP, id="1366"), pytest.param(PHONE, id="390")])
def test_the_form_at_laptop_and_phone_width(live_server, browser, viewport, axe_check, long_material):
    context = browser.new_context(viewport=viewport, bypass_csp=True)  # playwright polls with eval; tests/e2e/test_csp.py checks the policy
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        axe_check(page, "sign-in")
        sign_in(page, live_server, "rater", "anchor-rater")
        axe_check(page, "queue")
        link = page.locator("section.queue a:text-is('Rate')").first
        box = link.bounding_box()
        assert box["x"] + box["width"] <= viewport["width"]  # the link is inside the screen, not cut off
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        link.click()
        page.wait_for_selector("fieldset.item:focus")
        axe_check(page, "rater form")
        assert len(_rows_of_points(page, "item-participation")) == 1  # five points on one row
        assert page.evaluate("window.scrollY") == 0  # the page opens on the material, not scrolled past it
        assert page.locator("#material").is_visible()

        # The material is a keyboard-scrollable region.
        region = page.locator("#material")
        assert region.get_attribute("role") == "region" and region.get_attribute("tabindex") == "0"
        if region.evaluate("e => e.scrollHeight > e.clientHeight"):
            region.focus()
            page.keyboard.press("PageDown")
            page.wait_for_function("document.getElementById('material').scrollTop > 0")

        # Answer three items; the chosen point is highlighted and counted.
        page.focus("#item-participation")
        for key in "432":
            page.keyboard.press(key)
        assert "3 of 10 answered" in page.inner_text("#answered-line")
        chosen = page.locator("#item-participation label.point:has(input:checked)")
        other = page.locator("#item-participation label.point:not(:has(input:checked))").first
        assert chosen.evaluate("e => getComputedStyle(e).backgroundColor") != \
            other.evaluate("e => getComputedStyle(e).backgroundColor")
        page.wait_for_selector("#save-status:has-text('Draft saved')")

        # After a reload the focus is on the first unanswered item (the browser restores where the
        # rater had scrolled to; the script itself does not scroll a phone).
        page.reload()
        page.wait_for_selector("fieldset.item:focus")
        assert page.evaluate("document.activeElement.id") == "item-collaboration"
        if viewport is PHONE:
            page.click("#toggle-material")
            assert not page.locator("#material").is_visible()
            assert page.get_attribute("#toggle-material", "aria-expanded") == "false"
            page.click("#toggle-material")

        # Submitting with items missing lists them at the top.
        page.click("#submit")
        summary = page.locator("#missing-summary")
        assert summary.is_visible() and "7 items still need an answer" in summary.inner_text()
        assert page.evaluate("document.activeElement.id") == "item-collaboration"
        axe_check(page, "rater form, missing items")
    finally:
        context.close()


def test_a_rater_on_a_manager_page_gets_the_styled_403_and_an_admin_the_audit_log(live_server, page, axe_check):
    demo_setup()
    sign_in(page, live_server, "rater", "anchor-rater")
    assert page.locator("#nav-studies").count() == 0 and page.locator("#nav-audit").count() == 0
    response = page.goto(f"{live_server.url}/manage/")
    assert response.status == 403 and "This page is not for your account" in page.inner_text("main")
    assert page.locator("header.top").count() == 1
    axe_check(page, "403")
    page.click("button:has-text('Sign out')")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "anchor-admin")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/manage/")
    page.click("#nav-audit")
    page.wait_for_url(f"{live_server.url}/audit/")
    axe_check(page, "audit log")
