"""A reviewer opens a novelty assignment, reads the pipeline's output, answers with the keyboard."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from instruments.selectors import builtin_definition_files
from instruments.services import instrument_load
from novelty.services import literature_import
from ratings.models import Rater, Rating, Target
from ratings.services import study_get_or_create, targets_import
from ratings.services.assignments import assignments_create
from ratings.services.scoring import llm_rater_get_or_create, score_target, scoring_job_start
from ratings.tabular import read_rows
from tests.novelty.fakes import ScriptedBackend

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEMO = Path(__file__).resolve().parents[2] / "novelty" / "demo"
SOURCE = "The model attends only to the dominant tidal constituents of the gauge record."


def test_reviewer_reads_the_pipeline_output_and_rates_with_the_keyboard(live_server, page, screenshot, axe_check):
    version = next(instrument_load(text=p.read_text()).version for p in builtin_definition_files()
                   if p.stem == "novelty-assessment")
    study, _ = study_get_or_create(slug="novelty-demo", title="Novelty of fictional submissions")
    targets_import(study=study, rows=read_rows((DEMO / "submissions.jsonl").read_text(), "jsonl"), fmt="jsonl")
    literature_import(study=study, rows=read_rows((DEMO / "literature.jsonl").read_text(), "jsonl"))
    job = scoring_job_start(study=study, version=version, rater=llm_rater_get_or_create(name="llm-novelty"))
    target = Target.objects.get(study=study, external_id="P1")
    claims = [{"claim": "Sparse attention restricted to the dominant tidal constituents", "kind": "method",
               "source_sentence": SOURCE}]
    score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(
        claims=claims, summary="The main claim is anticipated by L03, which attends to tidal constituents.",
        comparison=lambda prompt: {"label": "anticipated", "anticipated_by": ["L03"],
                                   "explanation": "L03 proposes the same sparse attention."}))
    user = get_user_model().objects.create_user(username="reviewer", password="review-pass-1")
    reviewer = Rater.objects.create(name="reviewer", kind=Rater.Kind.HUMAN, user=user)
    assignments_create(rater=reviewer, targets=[target], version=version)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "reviewer")
    page.fill("input[name=password]", "review-pass-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/rate/")
    page.click("section.queue a:text-is('Rate') >> nth=0")
    page.wait_for_selector("fieldset.item:focus")
    review = page.inner_text("#pipeline-review")
    assert "Sparse attention restricted to the dominant tidal constituents" in review
    assert SOURCE in review
    assert "Sparse attention over tidal constituents for sea-level forecasting" in review  # L03 retrieved
    assert "anticipated by L03" in review
    assert "L03, which attends to tidal constituents" in page.inner_text("#pipeline-summary")
    assert page.locator("tr.cited-paper").count() == 1
    assert "Sparse attention transformers for week-ahead" not in review  # L10 is dated 2027

    # A reviewer can check the "anticipated by": the cited paper's abstract opens in place, and
    # the passage of it that shares most words with the claim is quoted beside the label.
    abstract = page.locator("tr.cited-paper details.abstract")
    assert not abstract.locator("p").is_visible()  # collapsed until asked for
    abstract.locator("summary").click()
    assert "reduces error by a third compared with recurrent networks" in abstract.locator("p").inner_text()
    assert "attends only to the dominant tidal constituents" in page.inner_text("blockquote.cited-passage")
    page.click("#pipeline-checks > summary")
    excluded = page.inner_text("#pipeline-excluded")
    assert "submission dated 2025" in excluded and "1 not strictly earlier than the submission" in excluded
    assert "(L10)" in excluded
    page.locator("fieldset.item").first.focus()

    for key in ("2", "1", "1"):  # novelty: slightly novel; conclusion: not novel; reasoning aligned: yes
        page.keyboard.press(key)
    page.wait_for_selector("#save-status:has-text('Draft saved')")
    screenshot("novelty-reviewer-form")
    axe_check(page, "novelty reviewer form")
    page.click("#submit")
    page.wait_for_url(f"{live_server.url}/rate/")

    rating = Rating.objects.get(rater=reviewer)
    assert rating.status == "submitted" and str(rating.instrument_version) == "novelty-assessment@1.1.0"
    assert {s.item.code: s.score for s in rating.item_scores.select_related("item")} == {
        "novelty": 2, "conclusion": 1, "reasoning_aligned": 1}
