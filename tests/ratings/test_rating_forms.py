"""Human rating through the web form: drafts, required items, locking, blindness."""

import json

import pytest

from ratings.models import Assignment, ItemScore, Rater, Rating
from ratings.services import assignments_create, study_get_or_create, targets_import
from ratings.services.rating_forms import rating_reopen
from ratings.tabular import read_rows


@pytest.fixture
def setup(engagement, django_user_model):
    study, _ = study_get_or_create(slug="s")
    targets_import(study=study, rows=read_rows("id,text\nT1,\"Therapist: Hi.\nClient: Hello.\"\n", "csv"), fmt="csv")
    users = {}
    for name in ("ann", "ben"):
        user = django_user_model.objects.create_user(username=name, password="pw")
        rater = Rater.objects.create(name=name, kind="human", user=user)
        assignments_create(rater=rater, targets=study.targets.all(), version=engagement)
        users[name] = user
    return users, {a.rater.name: a for a in Assignment.objects.select_related("rater")}


ALL = {"participation": 4, "disclosure": 3, "emotional_involvement": 3, "collaboration": 4, "goal_agreement": 4,
       "task_agreement": 3, "change_talk": 2, "motivation": 4, "between_session_effort": 2, "resistance": 1}


def _post(values):
    return {f"item-{k}": str(v) for k, v in values.items()} | {"seconds": "42.5"}


def test_queue_lists_only_my_assignments(setup, client):
    users, assignments = setup
    client.force_login(users["ann"])
    page = client.get("/rate/").content.decode()
    assert f"/rate/{assignments['ann'].pk}/" in page and f"/rate/{assignments['ben'].pk}/" not in page


def test_another_raters_assignment_is_404(setup, client):
    users, assignments = setup
    client.force_login(users["ann"])
    assert client.get(f"/rate/{assignments['ben'].pk}/").status_code == 404
    assert client.post(f"/rate/{assignments['ben'].pk}/draft/", "{}", content_type="application/json").status_code == 404


def test_the_form_never_shows_other_raters_scores(setup, client):
    users, assignments = setup
    client.force_login(users["ben"])
    client.post(f"/rate/{assignments['ben'].pk}/", _post(ALL))
    client.force_login(users["ann"])
    page = client.get(f"/rate/{assignments['ann'].pk}/").content.decode()
    assert "checked" not in page  # Ben's answers are not Ann's


def test_drafts_are_saved_and_shown_again(setup, client):
    users, assignments = setup
    client.force_login(users["ann"])
    url = f"/rate/{assignments['ann'].pk}/"
    response = client.post(url + "draft/", json.dumps({"answers": {"participation": "4", "disclosure": None},
                                                       "seconds": 12}), content_type="application/json")
    assert response.status_code == 200 and response.json()["answered"] == 1
    rating = Rating.objects.get(rater__name="ann")
    assert rating.status == "draft" and rating.seconds_spent == 12
    assert Assignment.objects.get(pk=assignments["ann"].pk).status == "in_progress"
    page = client.get(url).content.decode()
    assert 'name="item-participation" value="4"\n                 tabindex="-1" checked' in page


def test_missing_required_items_are_named_next_to_the_item(setup, client):
    users, assignments = setup
    client.force_login(users["ann"])
    partial = dict(ALL)
    del partial["motivation"]
    response = client.post(f"/rate/{assignments['ann'].pk}/", _post(partial))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error-motivation">This item is required' in page
    assert '1 item still needs an answer:' in page and 'href="#item-motivation">8. ' in page  # the summary on top
    assert "9 of 10 answered" in page.replace('<span id="answered-count">9</span>', "9")
    assert Rating.objects.get(rater__name="ann").status == "draft"  # the rest is kept as a draft


def test_submit_locks_the_rating_and_a_manager_can_reopen_it(setup, client, engagement):
    users, assignments = setup
    client.force_login(users["ann"])
    url = f"/rate/{assignments['ann'].pk}/"
    assert client.post(url, _post(ALL)).status_code == 302
    rating = Rating.objects.get(rater__name="ann")
    assert rating.status == "submitted" and rating.instrument_version == engagement
    assert {s.item.code: s.score for s in rating.item_scores.all()} == ALL
    assert rating.seconds_spent == 42.5
    assert client.post(url + "draft/", json.dumps({"answers": {"participation": "1"}}),
                       content_type="application/json").status_code == 409
    assert ItemScore.objects.get(rating=rating, item__code="participation").score == 4
    assert "is locked" in client.get(url).content.decode()
    rating_reopen(rating=rating)
    assert client.post(url + "draft/", json.dumps({"answers": {"participation": "1"}}),
                       content_type="application/json").status_code == 200


def test_bad_answers_are_refused(setup, client):
    users, assignments = setup
    client.force_login(users["ann"])
    response = client.post(f"/rate/{assignments['ann'].pk}/", _post(ALL | {"participation": 9}))
    assert response.status_code == 400 and "9 is not a point of this scale" in response.content.decode()
    assert client.post(f"/rate/{assignments['ann'].pk}/draft/", "not json",
                       content_type="application/json").status_code == 400


def test_signed_out_users_are_sent_to_sign_in(setup, client):
    _, assignments = setup
    response = client.get(f"/rate/{assignments['ann'].pk}/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_admin_action_reopens_a_submitted_rating(setup, client, admin_client):
    users, assignments = setup
    client.force_login(users["ann"])
    client.post(f"/rate/{assignments['ann'].pk}/", _post(ALL))
    rating = Rating.objects.get(rater__name="ann")
    admin_client.post("/admin/ratings/rating/", {"action": "reopen", "_selected_action": [rating.pk]})
    rating.refresh_from_db()
    assert rating.status == "draft"
    assert Assignment.objects.get(pk=assignments["ann"].pk).status == "in_progress"


@pytest.mark.parametrize("seconds, stored", [
    pytest.param("1e309", 12.0, id="infinite-ignored"),
    pytest.param("nan", 12.0, id="nan-ignored"),
    pytest.param(1e12, 86400.0, id="years-capped-at-a-day"),
    pytest.param(-5, 12.0, id="negative-is-zero"),
])
def test_a_drafts_seconds_stay_finite_and_bounded(setup, client, seconds, stored):
    users, assignments = setup
    client.force_login(users["ann"])
    url = f"/rate/{assignments['ann'].pk}/draft/"
    client.post(url, json.dumps({"answers": {"participation": "4"}, "seconds": 12}), content_type="application/json")
    raw = f'{{"answers": {{"participation": "4"}}, "seconds": {seconds if isinstance(seconds, (int, float)) else json.dumps(seconds)}}}'
    assert client.post(url, raw, content_type="application/json").status_code == 200
    assert Rating.objects.get(rater__name="ann").seconds_spent == stored


def test_submitting_an_incomplete_form_after_another_tab_submitted_answers_locked_not_500(setup, client):
    """Regression: the draft save on the validation-error path raised RatingLocked (500)."""
    users, assignments = setup
    client.force_login(users["ann"])
    url = f"/rate/{assignments['ann'].pk}/"
    assert client.post(url, _post(ALL)).status_code == 302  # submitted in tab 1
    partial = dict(ALL)
    del partial["motivation"]
    response = client.post(url, _post(partial | {"participation": 1}))  # the stale tab 2, incomplete
    assert response.status_code == 400
    assert "submitted (perhaps in another tab) and is locked" in response.content.decode()
    assert ItemScore.objects.get(rating__rater__name="ann", item__code="participation").score == 4


def test_submit_and_next_opens_the_next_assignment_and_confirms(setup, client, engagement):
    users, assignments = setup
    study = assignments["ann"].target.study
    targets_import(study=study, rows=read_rows('id,text\nT2,"Client: Two."\n', "csv"), fmt="csv")
    ann = Rater.objects.get(name="ann")
    assignments_create(rater=ann, targets=study.targets.filter(external_id="T2"), version=engagement)
    client.force_login(users["ann"])
    page = client.get(f"/rate/{assignments['ann'].pk}/").content.decode()
    assert 'id="submit-next"' in page and 'role="region" tabindex="0"' in page
    response = client.post(f"/rate/{assignments['ann'].pk}/", _post(ALL) | {"next": "1"}, follow=True)
    second = Assignment.objects.get(rater=ann, target__external_id="T2")
    assert response.redirect_chain[-1][0] == f"/rate/{second.pk}/"
    assert "Rating of T1 submitted. Next: T2." in response.content.decode()
    response = client.post(f"/rate/{second.pk}/", _post(ALL) | {"next": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == "/rate/"
    assert "That was the last one waiting for you." in response.content.decode()
