"""Integrity rules enforced by the database itself, on SQLite and on PostgreSQL.

Each test writes past Python's validation (``objects.create`` / ``update``) to show that the
database refuses the row on its own.
"""

import pytest
from django.db import IntegrityError, transaction

from instruments.services import instrument_load
from ratings.models import Assignment, ItemScore, Rater, Rating, ScoringJob, Study, Target

pytestmark = pytest.mark.postgres


@pytest.fixture
def rating(engagement):
    study = Study.objects.create(slug="s", title="S")
    target = Target.objects.create(study=study, external_id="T1", text="Client: hello.")
    rater = Rater.objects.create(name="r1", kind="human")
    return Rating.objects.create(rater=rater, target=target, instrument_version=engagement, source="import")


def _item(rating, code):
    return rating.instrument_version.items.get(code=code)


def test_one_rating_per_rater_target_and_version(rating):
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(rater=rating.rater, target=rating.target,
                              instrument_version=rating.instrument_version, source="form")


def test_one_score_per_item(rating):
    ItemScore.objects.create(rating=rating, item=_item(rating, "participation"), score=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemScore.objects.create(rating=rating, item=_item(rating, "participation"), score=4)


@pytest.mark.parametrize(("score", "expected"), [
    pytest.param(6, None, id="above-max"),
    pytest.param(0, None, id="below-min"),
    pytest.param(3, 5.0001, id="expected-above-max"),
    pytest.param(3, 0.5, id="expected-below-min"),
])
def test_scores_outside_the_items_scale_are_refused(rating, score, expected):
    with pytest.raises(IntegrityError, match="outside the item's scale"), transaction.atomic():
        ItemScore.objects.create(rating=rating, item=_item(rating, "disclosure"), score=score,
                                 expected_score=expected)
    assert not ItemScore.objects.exists()


def test_scale_bounds_are_inclusive_and_updates_are_checked_too(rating):
    low = ItemScore.objects.create(rating=rating, item=_item(rating, "disclosure"), score=1, expected_score=1.0)
    ItemScore.objects.create(rating=rating, item=_item(rating, "motivation"), score=5, expected_score=4.99)
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemScore.objects.filter(pk=low.pk).update(score=7)
    low.refresh_from_db()
    assert low.score == 1


def test_score_must_use_an_item_of_the_ratings_version(rating, builtin_text):
    other = instrument_load(text=builtin_text("novelty-assessment")).version
    with pytest.raises(IntegrityError, match="another instrument version"), transaction.atomic():
        ItemScore.objects.create(rating=rating, item=other.items.get(code="novelty"), score=3)


def test_rater_kind_fields_are_consistent(db, django_user_model):
    user = django_user_model.objects.create_user(username="u")
    with pytest.raises(IntegrityError), transaction.atomic():
        Rater.objects.create(name="x", kind="llm", user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rater.objects.create(name="y", kind="human", model_path="/m.gguf")


def test_target_ids_are_unique_within_a_study(db):
    study = Study.objects.create(slug="s", title="S")
    Target.objects.create(study=study, external_id="T1", text="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(study=study, external_id="T1", text="b")


def test_assignment_is_unique(rating):
    fields = {"rater": rating.rater, "target": rating.target, "instrument_version": rating.instrument_version}
    Assignment.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(**fields)


def test_job_progress_cannot_exceed_its_total(rating):
    job = ScoringJob.objects.create(study=rating.target.study, instrument_version=rating.instrument_version,
                                    rater=Rater.objects.create(name="llm", kind="llm"), total=2)
    ScoringJob.objects.filter(pk=job.pk).update(completed=1, failed=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoringJob.objects.filter(pk=job.pk).update(completed=2)
