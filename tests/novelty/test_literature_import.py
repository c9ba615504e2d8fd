"""Importing a study's literature corpus: atomic, row-level errors, idempotent."""

import pytest
from django.core.management import CommandError, call_command

from novelty.models import LiteraturePaper
from ratings.models import Assignment, Rater
from ratings.services import study_get_or_create

from .conftest import DEMO


@pytest.fixture
def study(db):
    return study_get_or_create(slug="lit")[0]


def test_import_jsonl_then_again_changes_nothing(study, capsys):
    call_command("import_literature", "lit", str(DEMO / "literature.jsonl"))
    assert "10 papers created" in capsys.readouterr().out
    call_command("import_literature", "lit", str(DEMO / "literature.jsonl"))
    assert "0 papers created, 0 updated, 10 unchanged" in capsys.readouterr().out
    paper = LiteraturePaper.objects.get(study=study, external_id="L10")
    assert (paper.year, paper.venue) == (2027, "Proceedings of the Imaginary Learning Conference")


def test_bad_rows_reject_the_whole_file(study, write_file):
    path = write_file("papers.csv", "id,title,abstract,year,venue\n"
                                    "A1,Good,An abstract.,2020,V\n"
                                    "A2,,An abstract.,2020,V\n"
                                    "A3,T,An abstract.,twenty,V\n"
                                    "A1,T,Again.,2021,\n")
    with pytest.raises(CommandError) as error:
        call_command("import_literature", "lit", str(path))
    message = str(error.value)
    assert "nothing imported; 3 problem(s)" in message
    assert "line 3: `title` is missing or empty" in message
    assert "line 4: `year` must be a four-digit year, not 'twenty'" in message
    assert "line 5: id 'A1' repeats line 2" in message
    assert LiteraturePaper.objects.count() == 0


def test_missing_columns_unknown_columns_and_unknown_study(study, write_file):
    with pytest.raises(CommandError, match="the header lacks column"):
        call_command("import_literature", "lit", str(write_file("a.csv", "id,title\nA,T\n")))
    with pytest.raises(CommandError, match="`date` .* is missing; `year` is accepted instead"):
        call_command("import_literature", "lit", str(write_file("a.csv", "id,title,abstract\nA,T,X\n")))
    with pytest.raises(CommandError, match="unknown column"):
        call_command("import_literature", "lit", str(write_file("b.jsonl", '{"id": "A", "title": "T", '
                                                                           '"abstract": "X", "year": 2020, "doi": 1}\n')))
    with pytest.raises(CommandError, match="no study 'ghost'"):
        call_command("import_literature", "ghost", str(DEMO / "literature.jsonl"))
    assert LiteraturePaper.objects.count() == 0


def test_the_same_id_in_two_studies_is_two_papers(study, write_file):
    other = study_get_or_create(slug="lit2")[0]
    path = write_file("p.csv", "id,title,abstract,year\nA,T,X,2020\n")
    call_command("import_literature", "lit", str(path))
    call_command("import_literature", "lit2", str(path))
    assert sorted(LiteraturePaper.objects.values_list("study__slug", flat=True)) == ["lit", "lit2"]
    assert other.literature.count() == 1


def test_novelty_demo_setup_is_idempotent(db, django_user_model, capsys):
    user = django_user_model.objects.create_user(username="rater", password="pw")
    Rater.objects.create(name="demo-rater", kind=Rater.Kind.HUMAN, user=user)
    for _ in range(2):
        call_command("setup_novelty_demo")
    assert "3 submissions, 10 papers in its corpus" in capsys.readouterr().out
    assert Assignment.objects.filter(rater__user=user, instrument_version__instrument__slug="novelty-assessment").count() == 3


def test_dates_at_any_precision_and_year_still_accepted(study, write_file):
    path = write_file("papers.csv", "id,title,abstract,date,year\n"
                                    "D1,One,An abstract.,2016-11-04,\n"
                                    "D2,Two,An abstract.,2016-10,2016\n"
                                    "D3,Three,An abstract.,,2015\n")
    call_command("import_literature", "lit", str(path))
    papers = {p.external_id: p for p in LiteraturePaper.objects.filter(study=study)}
    assert {k: (p.date, p.year) for k, p in papers.items()} == {
        "D1": ("2016-11-04", 2016), "D2": ("2016-10", 2016), "D3": ("2015", 2015)}
    assert len({p.content_sha256 for p in papers.values()}) == 3


@pytest.mark.parametrize("row, message", [
    pytest.param("X,T,A.,2016-02-30,", "`date`: '2016-02-30' is not a calendar date", id="not-a-day"),
    pytest.param("X,T,A.,2016-11,2015", "`year` '2015' disagrees with `date` '2016-11'", id="disagree"),
    pytest.param("X,T,A.,,", "`date` (YYYY, YYYY-MM or YYYY-MM-DD) is missing", id="missing"),
    pytest.param("X,T,A.,11/2016,", "`date`: a date is YYYY, YYYY-MM or YYYY-MM-DD, not '11/2016'", id="format"),
])
def test_bad_dates_are_named(study, write_file, row, message):
    path = write_file("papers.csv", "id,title,abstract,date,year\n" + row + "\n")
    with pytest.raises(CommandError, match="line 2") as error:
        call_command("import_literature", "lit", str(path))
    assert message in str(error.value)
