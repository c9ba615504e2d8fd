"""Importing human ratings in long format: atomic, validated against the instrument, idempotent."""

import pytest
from django.core.management import CommandError, call_command

from ratings.models import ItemScore, Rater, Rating, Target
from ratings.services import study_get_or_create, study_use_instrument

HEADER = "target_id,rater_id,item,score\n"


@pytest.fixture
def study(engagement, write_file):
    call_command("import_targets", "s", str(write_file("t.csv", "id,text\nS1,Client: a.\nS2,Client: b.\n")))
    study, _ = study_get_or_create(slug="s")
    study_use_instrument(study=study, version=engagement)
    return study


def _rows(*rows):
    return HEADER + "".join(",".join(map(str, r)) + "\n" for r in rows)


GOOD = _rows(
    ("S1", "r1", "participation", 4), ("S1", "r1", "resistance", 2), ("S1", "r1", "disclosure", ""),
    ("S2", "r1", "participation", 1), ("S1", "r2", "participation", 5),
)


def test_long_format_is_grouped_into_ratings(study, write_file, capsys):
    call_command("import_ratings", "s", str(write_file("r.csv", GOOD)))
    assert "3 ratings created, 0 updated, 0 unchanged (4 item scores written)" in capsys.readouterr().out
    rating = Rating.objects.get(rater__name="r1", target__external_id="S1")
    assert {s.item.code: s.score for s in rating.item_scores.all()} == {"participation": 4, "resistance": 2}
    assert rating.source == "import" and rating.status == "submitted"
    assert set(Rater.objects.values_list("name", "kind")) == {("r1", "human"), ("r2", "human")}


def test_reimport_changes_nothing_and_a_corrected_file_updates(study, write_file, capsys):
    path = write_file("r.csv", GOOD)
    call_command("import_ratings", "s", str(path))
    before = list(ItemScore.objects.order_by("pk").values())
    capsys.readouterr()
    call_command("import_ratings", "s", str(path))
    assert "0 ratings created, 0 updated, 3 unchanged" in capsys.readouterr().out
    assert list(ItemScore.objects.order_by("pk").values()) == before
    call_command("import_ratings", "s", str(write_file("r2.csv", GOOD.replace("S2,r1,participation,1",
                                                                             "S2,r1,participation,3"))))
    assert "0 ratings created, 1 updated, 2 unchanged" in capsys.readouterr().out
    assert ItemScore.objects.get(rating__target__external_id="S2").score == 3


def test_reimport_diffs_ratings_stored_before_hashes_were_kept(study, write_file, capsys):
    """A rating imported before ``scores_hash`` existed (null) is compared by its scores."""
    path = write_file("r.csv", GOOD)
    call_command("import_ratings", "s", str(path))
    assert Rating.objects.filter(scores_hash__startswith="sha256:").count() == 3
    Rating.objects.update(scores_hash=None)
    capsys.readouterr()
    call_command("import_ratings", "s", str(path))
    assert "0 ratings created, 0 updated, 3 unchanged" in capsys.readouterr().out
    call_command("import_ratings", "s", str(write_file("r2.csv", GOOD.replace("S1,r1,resistance,2",
                                                                             "S1,r1,resistance,1"))))
    assert "0 ratings created, 1 updated, 2 unchanged" in capsys.readouterr().out
    scores = Rating.objects.get(rater__name="r1", target__external_id="S1").item_scores
    assert {s.item.code: s.score for s in scores.all()} == {"participation": 4, "resistance": 1}


BAD = _rows(
    ("S1", "r1", "participation", 4),     # line 2: good
    ("S9", "r1", "participation", 4),     # line 3: unknown target
    ("S1", "r1", "charisma", 4),          # line 4: unknown item
    ("S1", "r1", "disclosure", 6),        # line 5: outside the scale
    ("S1", "r1", "motivation", 2.5),      # line 6: between points
    ("S1", "r1", "resistance", "lots"),   # line 7: not a number
    ("S1", "r1", "participation", 3),     # line 8: repeats line 2
    ("S1", "bad name!", "motivation", 3),  # line 9: rater id
)


def test_every_bad_row_is_reported_and_nothing_is_written(study, write_file):
    raters_before = Rater.objects.count()
    with pytest.raises(CommandError) as raised:
        call_command("import_ratings", "s", str(write_file("bad.csv", BAD)))
    message = str(raised.value)
    for expected in [
        "line 3: target 'S9' is not in study s",
        "line 4: item 'charisma' is not in therapy-engagement@1.0.0",
        "line 5: score '6' is not a point of 'disclosure''s scale [1, 2, 3, 4, 5]",
        "line 6: score '2.5' is not a point",
        "line 7: score 'lots' is not a number",
        "line 8: r1 on S1, item participation, repeats line 2",
        "line 9: rater_id 'bad name!' must be",
    ]:
        assert expected in message
    assert "  line 2:" not in message
    assert not Rating.objects.exists() and not ItemScore.objects.exists()
    assert Rater.objects.count() == raters_before


def test_llm_raters_and_form_ratings_are_not_overwritten(study, engagement, write_file):
    Rater.objects.create(name="llm-a", kind="llm", model_path="/m.gguf")
    form_rater = Rater.objects.create(name="r9", kind="human")
    Rating.objects.create(rater=form_rater, target=Target.objects.get(external_id="S1"),
                          instrument_version=engagement, source="form")
    rows = _rows(("S1", "llm-a", "participation", 3), ("S1", "r9", "participation", 3))
    with pytest.raises(CommandError) as raised:
        call_command("import_ratings", "s", str(write_file("r.csv", rows)))
    assert "line 2: rater 'llm-a' is an LLM rater" in str(raised.value)
    assert "line 3: r9 already rated S1 in a form" in str(raised.value)
    assert not ItemScore.objects.exists()


def test_instrument_must_be_named_when_ambiguous(db, builtin_text, write_file):
    call_command("load_instrument", "--builtin")
    call_command("import_targets", "s", str(write_file("t.csv", "id,text\nS1,x\n")))
    rows = write_file("r.csv", _rows(("S1", "r1", "participation", 4)))
    with pytest.raises(CommandError, match="line 2: the study uses no instrument yet"):
        call_command("import_ratings", "s", str(rows))
    call_command("import_ratings", "s", str(rows), "--instrument", "therapy-engagement@1.0.0")
    with_column = write_file("r2.csv", "target_id,rater_id,item,score,instrument\nS1,r2,novelty,5,novelty-assessment\n")
    call_command("import_ratings", "s", str(with_column))
    assert Rating.objects.count() == 2
    assert sorted(v.instrument.slug for v in study_get_or_create(slug="s")[0].instrument_versions.all()) == [
        "novelty-assessment", "therapy-engagement"]
    with pytest.raises(CommandError, match="line 2: the study uses several instruments"):
        call_command("import_ratings", "s", str(write_file("r3.csv", _rows(("S1", "r3", "novelty", 3)))))


def test_unknown_study_is_an_error(db, write_file):
    with pytest.raises(CommandError, match="no study 'nope'"):
        call_command("import_ratings", "nope", str(write_file("r.csv", GOOD)))
