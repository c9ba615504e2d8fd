"""k targets for human rating, chosen by LLM uncertainty: the service, the manager page, the API,
and the report weighting the new human ratings by 1/probability."""

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from ratings.models import Assignment, ItemScore, Rater, Rating, SamplingPlan
from ratings.services.sampling_plans import SamplingPlanError, sampling_plan_create
from reports.build import Data
from reports.stand_in_section import section_stand_in
from tests.reports.stand_in_factory import synthetic_study


@pytest.fixture
def setup(db, django_user_model):
    study, version = synthetic_study(n_targets=160, n_humans=3, n_llms=2, human_share=0.25, seed=2)
    manager = django_user_model.objects.create_user(username="mia", password="pw")
    manager.user_permissions.add(Permission.objects.get(codename="add_study"))
    study.managers.add(manager)
    raters = []
    for name in ("hana", "ivo"):  # invited by the manager: in the manager's rater pool
        user = django_user_model.objects.create_user(username=name, password="pw")
        raters.append(Rater.objects.create(name=name, kind=Rater.Kind.HUMAN, user=user, invited_by=manager))
    llm = Rater.objects.get(name=f"{study.slug}-llm-0")
    return study, version, manager, raters, llm


def test_plan_records_every_probability_and_assigns_the_drawn_targets(setup):
    study, version, manager, raters, llm = setup
    plan = sampling_plan_create(study=study, version=version, llm_rater=llm, human_raters=raters, budget=30, seed=1)
    human_rated = set(Rating.objects.filter(target__study=study, rater__kind="human")
                      .values_list("target__external_id", flat=True))
    assert len(plan.probabilities) == 160
    assert all(plan.probabilities[t] == 1.0 for t in human_rated)
    candidates = [p for t, p in plan.probabilities.items() if t not in human_rated]
    assert sum(candidates) == pytest.approx(30, abs=1e-6) and max(candidates) <= 1
    assignments = Assignment.objects.filter(target__study=study, rater__in=raters)
    assert assignments.count() == 2 * len(plan.selected)
    assert {a.target.external_id for a in assignments} == set(plan.selected)
    assert all(a.inclusion_probability == pytest.approx(plan.probabilities[a.target.external_id])
               for a in assignments)


def test_an_imported_judge_without_distributions_cannot_decide(setup):
    study, version, manager, raters, _ = setup
    judge = Rater.objects.get(name=f"{study.slug}-llm-1")  # imported: no distributions stored
    with pytest.raises(SamplingPlanError, match="no score distributions"):
        sampling_plan_create(study=study, version=version, llm_rater=judge, human_raters=raters, budget=5)


def test_report_weights_the_plans_ratings(setup):
    study, version, manager, raters, llm = setup
    plan = sampling_plan_create(study=study, version=version, llm_rater=llm, human_raters=raters[:1], budget=30)
    section = section_stand_in(Data(study, version, None), {"n_boot": 100})
    assert "have no human rating yet" in section["sampling"]  # drawn but not yet rated: no weighting
    items = list(version.items.all())
    for external_id in plan.selected:  # the rater submits every drawn target
        rating = Rating.objects.create(rater=raters[0], target=study.targets.get(external_id=external_id),
                                       instrument_version=version, source=Rating.Source.FORM)
        ItemScore.objects.bulk_create([ItemScore(rating=rating, item=item, score=3) for item in items])
    section = section_stand_in(Data(study, version, None), {"n_boot": 100})
    assert section["assumption"].startswith("the human-rated targets were drawn with the recorded")
    mean = section["llm"][llm.name]["measures"]["total"]["ppi"]["mean"]
    assert "inclusion probabilities" in mean["assumption"] and "inverse-probability" in mean["method"]


def test_manager_page_and_api(setup, client):
    study, version, manager, raters, llm = setup
    client.force_login(manager)
    page = client.get(f"/manage/{study.slug}/sampling/")
    assert page.status_code == 200 and "chosen by LLM uncertainty" in page.content.decode()
    assert f"/manage/{study.slug}/sampling/" in client.get(f"/manage/{study.slug}/").content.decode()
    response = client.post(f"/manage/{study.slug}/sampling/", {
        "instrument": version.pk, "llm_rater": llm.pk, "human_raters": [raters[0].pk], "budget": 10,
        "mix": 0.3, "seed": 4})
    assert response.status_code == 302
    assert SamplingPlan.objects.filter(study=study).count() == 1
    api = APIClient()
    api.force_authenticate(manager)
    url = f"/api/v1/studies/{study.slug}/sampling-plans/"
    created = api.post(url, {"instrument": "therapy-engagement", "llm_rater": llm.name,
                             "human_raters": ["ivo"], "budget": 12, "seed": 5}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert len(body["probabilities"]) == 160 and body["budget"] == 12
    assert Assignment.objects.filter(rater=raters[1], inclusion_probability__isnull=False).count() == len(body["selected"])
    too_many = api.post(url, {"instrument": "therapy-engagement", "llm_rater": llm.name,
                              "human_raters": ["ivo"], "budget": 10_000}, format="json")
    assert too_many.status_code == 400 and "between 1 and" in too_many.json()["detail"]
    assert len(api.get(url).json()) == 2


def test_another_manager_gets_404(setup, client, django_user_model):
    study, *_ = setup
    other = django_user_model.objects.create_user(username="otto", password="pw")
    other.user_permissions.add(Permission.objects.get(codename="add_study"))
    client.force_login(other)
    assert client.get(f"/manage/{study.slug}/sampling/").status_code == 404
    api = APIClient()
    api.force_authenticate(other)
    assert api.get(f"/api/v1/studies/{study.slug}/sampling-plans/").status_code == 404
