"""Ratings from outside judges: imported LLM raters, non-integer scores, distributions, provenance."""

import hashlib
import json

import pytest
from django.core.management import CommandError, call_command

from ratings.models import ItemScore, Rater, Rating
from ratings.services import study_get_or_create, study_use_instrument

HEADER = "target_id,rater_id,item,score\n"


@pytest.fixture
def study(engagement, write_file):
    call_command("import_targets", "s", str(write_file("t.csv", "id,text\nS1,Client: a.\nS2,Client: b.\n")))
    study, _ = study_get_or_create(slug="s")
    study_use_instrument(study=study, version=engagement)
    return study


def _csv(header, *rows):
    return header + "".join(",".join(map(str, r)) + "\n" for r in rows)


# A judge averaged over three prompt variants: 14/3 = 4.666..., 2.5 is halfway between two points.
JUDGE = _csv(HEADER, ("S1", "gpt-judge", "participation", 14 / 3), ("S1", "gpt-judge", "resistance", 2.5),
             ("S2", "gpt-judge", "participation", 1), ("S2", "gpt-judge", "resistance", 1.2))


def test_outside_judge_scores_keep_their_number_and_its_nearest_point(study, write_file, capsys):
    path = write_file("judge.csv", JUDGE)
    call_command("import_ratings", "s", str(path), "--rater-kind", "llm", "--model", "gpt-4o-2024-08-06")
    assert "2 ratings created, 0 updated, 0 unchanged (4 item scores written)" in capsys.readouterr().out
    rater = Rater.objects.get(name="gpt-judge")
    assert (rater.kind, rater.study, rater.user, rater.model_path) == ("llm", study, None, "")
    scores = {(s.rating.target.external_id, s.item.code): s for s in ItemScore.objects.select_related("rating__target", "item")}
    first = scores[("S1", "participation")]
    assert first.expected_score == pytest.approx(14 / 3, abs=1e-12) and first.score == 5
    assert (scores[("S1", "resistance")].expected_score, scores[("S1", "resistance")].score) == (2.5, 2)  # tie: lower
    assert (scores[("S2", "participation")].expected_score, scores[("S2", "participation")].score) == (1.0, 1)
    assert scores[("S2", "resistance")].score == 1 and first.distribution is None
    rating = first.rating
    assert rating.source == "import" and rating.status == "submitted"
    assert rating.provenance == {"imported": True, "file_name": "judge.csv",
                                 "file_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                                 "model": "gpt-4o-2024-08-06"}
    # the same file again changes nothing
    before = list(ItemScore.objects.order_by("pk").values())
    call_command("import_ratings", "s", str(path), "--rater-kind", "llm", "--model", "gpt-4o-2024-08-06")
    assert "0 ratings created, 0 updated, 2 unchanged" in capsys.readouterr().out
    assert list(ItemScore.objects.order_by("pk").values()) == before


def test_a_human_score_between_points_is_still_refused(study, write_file):
    with pytest.raises(CommandError, match="line 2: score '4.666"):
        call_command("import_ratings", "s", str(write_file("h.csv", JUDGE)))
    assert not Rating.objects.exists()


def test_per_row_kind_model_and_distribution(study, write_file):
    header = "target_id,rater_id,item,score,rater_kind,model,distribution\n"
    rows = (
        'S1,r1,participation,4,human,,\n'
        'S1,judge,participation,,llm,llama-70b,"{""3"": 0.2, ""4"": 0.5, ""5"": 0.3}"\n'
        'S1,judge,resistance,3.4,llm,llama-70b,"{""3"": 0.6, ""4"": 0.4}"\n'
    )
    call_command("import_ratings", "s", str(write_file("mixed.csv", header + rows)))
    assert dict(Rater.objects.filter(study=study).values_list("name", "kind")) == {"r1": "human", "judge": "llm"}
    judged = {s.item.code: s for s in ItemScore.objects.filter(rating__rater__name="judge").select_related("item")}
    # an empty score with a distribution: its expected score; the mode is the distribution's
    assert judged["participation"].expected_score == pytest.approx(3 * 0.2 + 4 * 0.5 + 5 * 0.3, abs=1e-12)
    assert judged["participation"].score == 4 and judged["participation"].distribution == {"3": 0.2, "4": 0.5, "5": 0.3}
    # a given score is the expected score; the mode still comes from the distribution
    assert (judged["resistance"].expected_score, judged["resistance"].score) == (3.4, 3)
    human = ItemScore.objects.get(rating__rater__name="r1")
    assert (human.score, human.expected_score, human.distribution) == (4, None, None)
    assert Rating.objects.get(rater__name="judge").provenance["model"] == "llama-70b"
    assert "model" not in Rating.objects.get(rater__name="r1").provenance


BAD = "target_id,rater_id,item,score,rater_kind,model,distribution\n" + "".join([
    'S1,j,participation,5.2,llm,m,\n',                                  # line 2: above the range
    'S1,j,resistance,0.99,llm,m,\n',                                    # line 3: below the range
    'S1,j,disclosure,,llm,m,"{""6"": 1.0}"\n',                          # line 4: key off the scale
    'S1,j,motivation,,llm,m,"{""1"": 0.5, ""2"": 0.4}"\n',              # line 5: sums to 0.9
    'S1,j,collaboration,,llm,m,"{""1"": 1.2, ""2"": -0.2}"\n',               # line 6: negative
    'S1,j,goal_agreement,,llm,m,[1]\n',                                           # line 7: not an object
    'S2,j,participation,3,human,,\n',                                   # line 8: j is llm on line 2
    'S2,k,participation,3,llm,other,\n',                                # line 9: good
    'S2,k,resistance,3,llm,another,\n',                                 # line 10: k's model changes
    'S2,h,participation,3,human,gpt,\n',                                # line 11: model for a human
    'S2,h2,resistance,3,human,,"{""3"": 1}"\n',                         # line 12: distribution for a human
    'S2,q,resistance,3,robot,,\n',                                      # line 13: unknown kind
])


def test_every_bad_judge_row_is_named_and_nothing_is_written(study, write_file):
    with pytest.raises(CommandError) as raised:
        call_command("import_ratings", "s", str(write_file("bad.csv", BAD)))
    message = str(raised.value)
    for expected in [
        "line 2: score '5.2' is outside 'participation''s scale range 1..5",
        "line 3: score '0.99' is outside 'resistance''s scale range 1..5",
        "line 4: distribution key '6' is not a point of 'disclosure''s scale",
        "line 5: distribution probabilities sum to 0.9, not 1",
        "line 6: distribution probability -0.2 for '2' must be a number >= 0",
        "line 7: distribution must be a JSON object",
        "line 8: rater 'j' is llm on line 2; one rater is one kind",
        "line 10: rater 'k' has model 'other' on line 9; one rater is one model",
        "line 11: model 'gpt' is given for a human rater",
        "line 12: distribution is given for a human rater",
        "line 13: rater_kind 'robot' must be human or llm",
    ]:
        assert expected in message, expected
    assert "line 9:" not in message
    assert not Rating.objects.exists() and not Rater.objects.filter(study=study).exists()


def test_a_rater_of_the_other_kind_is_refused_with_the_row(study, write_file):
    call_command("import_ratings", "s", str(write_file("h.csv", _csv(HEADER, ("S1", "R1", "participation", 4)))))
    with pytest.raises(CommandError, match="line 3: rater 'R1' is a human rater in study s; this file says llm"):
        call_command("import_ratings", "s", str(write_file("j.csv", _csv(HEADER, ("S2", "J", "participation", 4),
                                                                          ("S2", "R1", "participation", 3.5)))),
                     "--rater-kind", "llm")
    Rater.objects.create(name="llm-anchor", kind="llm", model_path="/m.gguf")
    with pytest.raises(CommandError, match="line 2: rater 'llm-anchor' is an LLM rater run by Anchor"):
        call_command("import_ratings", "s", str(write_file("a.csv", _csv(HEADER, ("S1", "llm-anchor", "participation", 3)))),
                     "--rater-kind", "llm")
    assert Rating.objects.count() == 1


def test_a_model_option_without_llm_rows_is_refused(study, write_file):
    with pytest.raises(CommandError, match="a model is named, but no row is an LLM rater"):
        call_command("import_ratings", "s", str(write_file("h.csv", _csv(HEADER, ("S1", "R1", "participation", 4)))),
                     "--model", "gpt")


def test_a_changed_judge_file_updates_scores_and_provenance(study, write_file, capsys):
    call_command("import_ratings", "s", str(write_file("a.csv", JUDGE)), "--rater-kind", "llm")
    capsys.readouterr()
    changed = write_file("b.csv", JUDGE.replace("S2,gpt-judge,resistance,1.2", "S2,gpt-judge,resistance,1.7"))
    call_command("import_ratings", "s", str(changed), "--rater-kind", "llm")
    assert "0 ratings created, 1 updated, 1 unchanged" in capsys.readouterr().out
    updated = ItemScore.objects.get(rating__target__external_id="S2", item__code="resistance")
    assert (updated.expected_score, updated.score) == (1.7, 2)
    assert updated.rating.provenance["file_name"] == "b.csv"
    assert Rating.objects.get(target__external_id="S1").provenance["file_name"] == "a.csv"


def test_jsonl_judge_rows_carry_distribution_objects(study, write_file):
    rows = [{"target_id": "S1", "rater_id": "j", "item": "participation", "score": 3.75,
             "distribution": {"3": 0.25, "4": 0.75}}]
    call_command("import_ratings", "s", str(write_file("j.jsonl", "".join(json.dumps(r) + "\n" for r in rows))),
                 "--rater-kind", "llm", "--model", "m")
    score = ItemScore.objects.get()
    assert (score.score, score.expected_score, score.distribution) == (4, 3.75, {"3": 0.25, "4": 0.75})


def test_api_imports_outside_judges(study, django_user_model):
    from rest_framework.test import APIClient

    owner = django_user_model.objects.create_user(username="owner")
    study.managers.add(owner)
    client = APIClient()
    client.force_authenticate(owner)
    body = JUDGE.encode()
    response = client.generic("POST", "/api/v1/studies/s/ratings/?rater_kind=llm&model=m1&file_name=judge.csv",
                              body, content_type="text/csv")
    assert response.status_code == 201, response.content
    assert response.json()["created"] == 2 and response.json()["raters_created"] == 1
    rating = Rating.objects.filter(rater__name="gpt-judge").first()
    assert rating.provenance == {"imported": True, "file_name": "judge.csv",
                                 "file_sha256": hashlib.sha256(body).hexdigest(), "model": "m1"}
    rows = [{"target_id": "S1", "rater_id": "j2", "item": "participation", "score": 9.5, "rater_kind": "llm"}]
    refused = client.post("/api/v1/studies/s/ratings/", rows, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"] == [{"line": 1, "reason": "score 9.5 is outside 'participation''s scale range 1..5"}]
    exported = {(r["rater"], r["item"], r["target"]): r for r in client.get("/api/v1/studies/s/ratings/").json()}
    row = exported[("gpt-judge", "participation", "S1")]
    assert row["rater_kind"] == "llm" and row["score"] == 5 and row["expected_score"] == pytest.approx(14 / 3)
