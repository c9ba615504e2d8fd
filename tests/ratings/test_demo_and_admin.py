"""The demo study and the admin pages that show it."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from instruments.models import InstrumentVersion
from ratings.models import Assignment, ItemScore, Rater, Rating, Target
from ratings.services.demo import DEMO_ADMIN, DEMO_RATER, DEMO_STUDY, demo_setup


@pytest.fixture
def demo(db):
    demo_setup()


def test_demo_has_nested_sessions_outcomes_and_two_raters(demo):
    targets = Target.objects.filter(study__slug=DEMO_STUDY)
    assert 10 <= targets.count() <= 20
    assert all({"motivation", "effort", "symptom_change"} <= set(t.criteria) for t in targets)
    patients = {t.metadata["patient"] for t in targets}
    assert 1 < len(patients) < targets.count()
    humans = Rating.objects.filter(target__study__slug=DEMO_STUDY).values_list("rater__name", flat=True)
    assert set(humans) == {"demo-rater-a", "demo-rater-b"}
    assert ItemScore.objects.count() == targets.count() * 2 * 10
    assert Assignment.objects.filter(rater__name="demo-rater").count() == targets.count()


def test_demo_setup_twice_changes_nothing(demo, capsys):
    counts = [m.objects.count() for m in (InstrumentVersion, Target, Rater, Rating, ItemScore, Assignment)]
    call_command("setup_demo")
    out = capsys.readouterr().out
    assert "password unchanged" in out
    assert counts == [m.objects.count() for m in (InstrumentVersion, Target, Rater, Rating, ItemScore, Assignment)]


def test_demo_accounts_can_sign_in(demo, client):
    assert client.login(username=DEMO_ADMIN[0], password=DEMO_ADMIN[1])
    assert client.login(username=DEMO_RATER[0], password=DEMO_RATER[1])


ADMIN_MODELS = ["instruments.instrument", "instruments.instrumentversion", "ratings.study", "ratings.target",
                "ratings.rater", "ratings.assignment", "ratings.rating", "ratings.scoringjob"]


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_admin_lists_and_shows_each_model(demo, client, model):
    client.login(username=DEMO_ADMIN[0], password=DEMO_ADMIN[1])
    app, name = model.split(".")
    listing = client.get(reverse(f"admin:{app}_{name}_changelist"))
    assert listing.status_code == 200
    from django.apps import apps

    first = apps.get_model(app, name).objects.first()
    if first is not None:
        assert client.get(reverse(f"admin:{app}_{name}_change", args=[first.pk])).status_code == 200


def test_admin_shows_a_rating_with_its_item_scores(demo, client):
    client.login(username=DEMO_ADMIN[0], password=DEMO_ADMIN[1])
    rating = Rating.objects.filter(rater__name="demo-rater-a").first()
    page = client.get(reverse("admin:ratings_rating_change", args=[rating.pk])).content.decode()
    assert "participation" in page and "resistance" in page


def test_rater_account_cannot_open_the_admin(demo, client):
    client.login(username=DEMO_RATER[0], password=DEMO_RATER[1])
    assert client.get(reverse("admin:ratings_rating_changelist")).status_code == 302


def test_home_page(client, db):
    assert client.get("/").status_code == 200
