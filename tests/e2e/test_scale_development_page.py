"""The scale-development page in chromium: a manager analyses a pool, reads the selection and
the item analysis, and publishes the short scale (screenshot: var/screenshots/scale-development.png)."""

import pytest
from django.contrib.auth.models import Permission

from instruments.models import InstrumentVersion
from tests.scaledev.conftest import pool_study  # noqa: F401 (a study rated on a simulated 40-item pool)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_manager_develops_and_publishes_a_short_scale(pool_study, live_server, page, screenshot,  # noqa: F811
                                                         django_user_model, axe_check):
    study, _, true = pool_study
    user = django_user_model.objects.create_user(username="dev", password="pw")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_study", "add_instrumentversion"]))
    study.managers.add(user)
    page.goto(f"{live_server.url}/accounts/login/?next=/manage/{study.slug}/scale-development/")
    page.fill("input[name=username]", "dev")
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/manage/{study.slug}/scale-development/")
    axe_check(page, "scale development")
    form = page.locator("#develop")
    form.locator("input[name=criterion]").fill("motivation")
    form.locator("input[name=cluster]").fill("patient")
    form.locator("input[name=k]").fill("8")
    form.locator("input[name=repeats]").fill("3")
    form.locator("input[name=boots]").fill("20")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#figures")
    selection = page.inner_text("#selection")
    assert all(code in selection for code in true)
    assert page.locator("#item-analysis tbody tr").count() == 40
    assert page.locator("#figures tbody tr").count() == 3
    screenshot("scale-development")
    axe_check(page, "scale development, analysed")
    page.fill("#publish input[name=slug]", "engagement-brief")
    page.click("#publish button[type=submit]")
    page.wait_for_selector("text=Published engagement-brief@1.0.0")
    version = InstrumentVersion.objects.get(instrument__slug="engagement-brief")
    assert version.definition["derivation"]["n_repeats"] == 3
