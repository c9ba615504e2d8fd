"""A manager creates a study, invites raters and commits an assignment design in the browser;
an invited rater then signs in and finds their assignments."""

import re

import pytest

from ratings.models import Assignment
from ratings.services.demo import demo_setup

from .test_rater_form import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TARGETS = "id,text\n" + "".join(f"P{i},\"Therapist: How was week {i}?\nClient: Fine, I tried.\"\n" for i in range(6))


def test_manager_creates_a_study_and_assignments(live_server, page, screenshot, tmp_path):
    demo_setup()
    upload = tmp_path / "pilot.csv"
    upload.write_text(TARGETS)
    page.goto(f"{live_server.url}/accounts/login/?next=/manage/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "anchor-admin")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/manage/")
    page.fill("#new-study input[name=slug]", "pilot")
    page.fill("#new-study input[name=title]", "Pilot study")
    page.check("#new-study label:has-text('therapy-engagement') input[name=instruments]")
    page.set_input_files("#new-study input[name=targets]", str(upload))
    page.click("#new-study button[type=submit]")
    page.wait_for_url(f"{live_server.url}/manage/pilot/")
    assert "6 targets created" in page.inner_text("main")

    passwords = {}
    for name in ("ann", "ben"):
        page.fill("#invite input[name=username]", name)
        page.click("#invite button")
        passwords[name] = re.search(rf"Rater {name} can sign in with the password (\S+)", page.inner_text("main"))[1]
    page.select_option("#design select[name=instrument]", label="therapy-engagement@1.0.0")
    page.check("#design input[value=ann]")
    page.check("#design input[value=ben]")
    page.fill("#design input[name=per_target]", "1")
    page.fill("#design input[name=overlap]", "2")
    page.click("#design button[value=preview]")
    matrix = page.inner_text("#design-matrix")
    assert "ann" in matrix and "ben" in matrix
    screenshot("manager-design-preview")
    page.click("#commit")
    assert "8 assignments created" in page.inner_text("main")  # 2 common x 2 raters + 4 x 1
    screenshot("manager-study")
    assert Assignment.objects.filter(target__study__slug="pilot").count() == 8

    page.click("button:has-text('Sign out')")
    sign_in(page, live_server, "ann", passwords["ann"])
    assert "0 of 4 done" in page.inner_text("main")
