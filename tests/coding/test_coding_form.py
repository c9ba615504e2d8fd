"""The human coding form through Django's client: only applicable cells, drafts, submit per transcript."""

import json

import pytest

from ratings.models import Assignment, Rater, Rating, Target
from ratings.services.assignments import assignments_create


@pytest.fixture
def coder(coded_study, mi_coding, django_user_model):
    user = django_user_model.objects.create_user(username="cora", password="pw")
    rater = Rater.objects.create(name="cora", kind="human", user=user)
    assignments_create(rater=rater, targets=coded_study.targets.all(), version=mi_coding)
    return user, Assignment.objects.get(rater=rater, target__external_id="S1")


def test_form_asks_each_applicable_utterance_once(coder, client):
    user, assignment = coder
    client.force_login(user)
    page = client.get(f"/rate/{assignment.pk}/").content.decode()
    assert page.count('<fieldset class="item') == 4  # two therapist and two client utterances; the narrator is context
    assert "(pause)" in page and 'name="item-u2~client_talk"' in page and 'name="item-u5' not in page
    assert "What is the therapist mainly doing" in page


def test_drafts_then_submit_with_every_cell(coder, client):
    user, assignment = coder
    client.force_login(user)
    draft = client.post(f"/rate/{assignment.pk}/draft/", json.dumps({"answers": {"u1~therapist_behaviour": "2"}}),
                        content_type="application/json")
    assert draft.status_code == 200 and draft.json()["answered"] == 1
    rating = Rating.objects.get(rater__name="cora")
    assert rating.status == "draft" and rating.segment_codes.get().code == "question"
    assert 'value="2"\n                 tabindex="-1" checked' in client.get(f"/rate/{assignment.pk}/").content.decode()
    missing = client.post(f"/rate/{assignment.pk}/", {"item-u1~therapist_behaviour": "2", "item-u2~client_talk": "1"})
    assert missing.status_code == 400 and "This utterance needs a code." in missing.content.decode()
    done = client.post(f"/rate/{assignment.pk}/", {"item-u1~therapist_behaviour": "2", "item-u2~client_talk": "1",
                                                   "item-u3~therapist_behaviour": "1", "item-u4~client_talk": "3"})
    assert done.status_code == 302
    rating.refresh_from_db()
    assert rating.status == "submitted" and rating.source == "form"
    assert [c.code for c in rating.segment_codes.all()] == ["question", "change", "reflection", "sustain"]
    assert Assignment.objects.get(pk=assignment.pk).status == "submitted"
    locked = client.post(f"/rate/{assignment.pk}/draft/", json.dumps({"answers": {}}), content_type="application/json")
    assert locked.status_code == 409


def test_a_tampered_cell_is_refused(coder, client):
    user, assignment = coder
    client.force_login(user)
    bad = client.post(f"/rate/{assignment.pk}/draft/", json.dumps({"answers": {"u2~therapist_behaviour": "1"}}),
                      content_type="application/json")
    assert bad.status_code == 400 and "does not apply" in bad.json()["error"]
    assert Target.objects.get(external_id="S1").ratings.count() == 0
