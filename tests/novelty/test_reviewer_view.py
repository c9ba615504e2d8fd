"""The novelty reviewer's form shows the pipeline's output, never the LLM's or others' scores."""

import pytest
from django.contrib.auth import get_user_model

from novelty.models import PipelineArtefact
from ratings.models import Assignment, ItemScore, Rater, Rating, Target
from ratings.services.assignments import assignments_create
from ratings.services.rating_forms import rating_submit
from ratings.services.scoring import llm_rater_get_or_create, score_target, scoring_job_start

from .fakes import ScriptedBackend
from .test_pipeline_scoring import CLAIMS, _cite


@pytest.fixture
def reviewer(db):
    user = get_user_model().objects.create_user(username="rev", password="rev-pass-1")
    return Rater.objects.create(name="rev", kind=Rater.Kind.HUMAN, user=user)


@pytest.fixture
def scored(novelty_study, novelty_version, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = scoring_job_start(study=novelty_study, version=novelty_version,
                                rater=llm_rater_get_or_create(name="llm-novelty"))
    target = Target.objects.get(study=novelty_study, external_id="P1")
    score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(
        claims=CLAIMS, comparison=_cite, summary="Claim 0 is anticipated by L03."))
    return target


def test_reviewer_sees_claims_related_work_and_comparison_but_no_scores(client, reviewer, scored, novelty_version):
    assignments_create(rater=reviewer, targets=[scored], version=novelty_version)
    other = Rater.objects.create(name="other-human", kind=Rater.Kind.HUMAN)
    assignments_create(rater=other, targets=[scored], version=novelty_version)
    rating_submit(assignment=Assignment.objects.get(rater=other),
                  answers={"novelty": 2, "conclusion": 1, "reasoning_aligned": 0})
    assignment = Assignment.objects.get(rater=reviewer)
    client.login(username="rev", password="rev-pass-1")
    html = client.get(f"/rate/{assignment.pk}/").content.decode()

    assert "attention over tidal constituents" in html  # the kept claim, its kind and source
    assert "The model attends only to the dominant tidal constituents of the gauge record." in html
    assert "a global gauge dataset" not in html  # dropped by the gate: counted, not shown
    assert "1 claim(s) kept, 1 dropped" in html
    assert "Sparse attention over tidal constituents for sea-level forecasting" in html  # L03, retrieved
    assert "anticipated by <span class=\"cited\">L03</span>" in html
    assert "Claim 0 is anticipated by L03." in html
    assert 'name="item-reasoning_aligned"' in html and 'name="item-novelty"' in html
    llm = Rating.objects.get(rater__name="llm-novelty")
    for score in ItemScore.objects.filter(rating=llm):
        assert repr(score.expected_score) not in html and str(score.distribution) not in html
    assert "distribution" not in html and "expected" not in html.lower()
    assert "other-human" not in html


def test_reviewer_rates_the_judgement_and_the_alignment(client, reviewer, scored, novelty_version):
    assignments_create(rater=reviewer, targets=[scored], version=novelty_version)
    assignment = Assignment.objects.get(rater=reviewer)
    client.login(username="rev", password="rev-pass-1")
    response = client.post(f"/rate/{assignment.pk}/", {"item-novelty": "2", "item-conclusion": "1"})
    assert response.status_code == 400 and "This item is required" in response.content.decode()
    client.post(f"/rate/{assignment.pk}/", {"item-novelty": "2", "item-conclusion": "1",
                                           "item-reasoning_aligned": "1"})
    rating = Rating.objects.get(rater=reviewer)
    assert rating.status == "submitted"
    assert {s.item.code: s.score for s in rating.item_scores.select_related("item")} == {
        "novelty": 2, "conclusion": 1, "reasoning_aligned": 1}


def test_form_before_the_pipeline_ran(client, reviewer, novelty_study, novelty_version):
    target = Target.objects.get(study=novelty_study, external_id="P2")
    assignments_create(rater=reviewer, targets=[target], version=novelty_version)
    client.login(username="rev", password="rev-pass-1")
    html = client.get(f"/rate/{Assignment.objects.get(rater=reviewer).pk}/").content.decode()
    assert "The pipeline has not run on this paper yet" in html
    assert PipelineArtefact.objects.count() == 0


def test_alignment_is_not_required_before_the_pipeline_ran(client, reviewer, novelty_study, novelty_version):
    """"Does the pipeline's reasoning align with yours?" cannot be answered without a run."""
    target = Target.objects.get(study=novelty_study, external_id="P2")
    assignments_create(rater=reviewer, targets=[target], version=novelty_version)
    assignment = Assignment.objects.get(rater=reviewer)
    client.login(username="rev", password="rev-pass-1")
    html = client.get(f"/rate/{assignment.pk}/").content.decode()
    assert "Optional here: the pipeline has not run on this paper yet." in html
    response = client.post(f"/rate/{assignment.pk}/", {"item-novelty": "2", "item-conclusion": "1"})
    assert response.status_code == 302
    rating = Rating.objects.get(rater=reviewer)
    assert rating.status == "submitted"
    assert {s.item.code for s in rating.item_scores.select_related("item")} == {"novelty", "conclusion"}
