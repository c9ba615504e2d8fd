"""Importing targets: CSV and JSONL, atomic on bad rows, idempotent on re-import."""

import json

import pytest
from django.core.management import CommandError, call_command

from ratings.models import Study, Target
from ratings.services import study_get_or_create, targets_import
from ratings.tabular import ImportRejected, read_rows

CSV_OK = (
    "id,text,patient,criterion:motivation,criterion:effort\n"
    "S1,Client: I did the homework.,P1,5,7.5\n"
    'S2,"Therapist: How was the week?\nClient: Fine.",P1,2,\n'
    "S3,Client: I would rather not say.,P2,3,1\n"
)


def test_csv_targets_with_metadata_and_criteria(db, write_file, capsys):
    call_command("import_targets", "study-a", str(write_file("t.csv", CSV_OK)))
    assert "created study study-a" in capsys.readouterr().out
    targets = {t.external_id: t for t in Target.objects.filter(study__slug="study-a")}
    assert set(targets) == {"S1", "S2", "S3"}
    assert targets["S1"].criteria == {"motivation": 5.0, "effort": 7.5}
    assert targets["S2"].criteria == {"motivation": 2.0}  # an empty criterion is missing, not zero
    assert targets["S2"].text == "Therapist: How was the week?\nClient: Fine."
    assert targets["S3"].metadata == {"patient": "P2"}


def test_jsonl_targets(db, write_file):
    lines = [
        {"id": "S1", "text": "Client: Hello.", "metadata": {"patient": "P1", "session": 2},
         "criteria": {"symptom_change": -3}},
        {"id": 7, "text": "Client: Bye.", "site": "north"},
    ]
    path = write_file("t.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    call_command("import_targets", "study-b", str(path))
    targets = {t.external_id: t for t in Target.objects.all()}
    assert targets["S1"].metadata == {"patient": "P1", "session": 2}
    assert targets["S1"].criteria == {"symptom_change": -3.0}
    assert targets["7"].metadata == {"site": "north"}


BAD_CSV = (
    "id,text,criterion:motivation\n"
    "S1,Client: fine.,4\n"       # line 2: good
    "S2,,3\n"                    # line 3: no text
    "S3,Client: ok.,high\n"      # line 4: criterion not a number
    "S1,Client: again.,2\n"      # line 5: repeated id
    "S4,Client: x.,1,extra\n"    # line 6: too many fields
)


def test_bad_rows_reject_the_whole_file_with_lines_and_reasons(db, write_file):
    with pytest.raises(CommandError) as raised:
        call_command("import_targets", "study-c", str(write_file("bad.csv", BAD_CSV)))
    message = str(raised.value)
    assert "line 6: more fields than the header's 3" in message
    assert not Target.objects.exists()


def test_every_bad_row_is_named(db):
    rows = read_rows(BAD_CSV.replace(",1,extra", ",1"), "csv", required=("id", "text"))
    study, _ = study_get_or_create(slug="s")
    with pytest.raises(ImportRejected) as raised:
        targets_import(study=study, rows=rows, fmt="csv")
    assert [(e.line, e.reason) for e in raised.value.errors] == [
        (3, "target 'S2': `text` is missing or empty"),
        (4, "criterion 'motivation' must be a number, not 'high'"),
        (5, "id 'S1' repeats line 2"),
    ]
    assert not Target.objects.exists()


@pytest.mark.parametrize(("text", "reason"), [
    pytest.param('{"id": "a", "text": "x"}\n[1, 2]\n', "line 2: each line must be a JSON object", id="not-object"),
    pytest.param('{"id": "a", "text": "x"}\n{"id": "b", \n', "line 2: not valid JSON", id="broken-json"),
    pytest.param('{"id": "a", "text": "x", "criteria": {"m": true}}\n', "must be a number, not True", id="bool"),
    pytest.param('{"id": "a", "text": "x", "criteria": {"m": "NaN"}}\n', "must be finite", id="nan"),
    pytest.param('{"id": "", "text": "x"}\n', "`id` is missing or empty", id="empty-id"),
    pytest.param('{"id": "a", "text": "x", "metadata": [1]}\n', "must be JSON objects", id="metadata-list"),
])
def test_bad_jsonl_rows(db, write_file, text, reason):
    with pytest.raises(CommandError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        call_command("import_targets", "study-d", str(write_file("t.jsonl", text)))
    assert not Target.objects.exists()


def test_header_without_required_columns(db, write_file):
    with pytest.raises(CommandError, match="line 1: the header lacks column\\(s\\) text"):
        call_command("import_targets", "s", str(write_file("t.csv", "id,body\nS1,x\n")))


def test_unknown_extension_and_empty_file(db, write_file):
    with pytest.raises(CommandError, match="name it .csv or .jsonl"):
        call_command("import_targets", "s", str(write_file("t.txt", CSV_OK)))
    with pytest.raises(CommandError, match="no data rows"):
        call_command("import_targets", "s", str(write_file("t.csv", "id,text\n")))


def test_reimporting_the_same_file_changes_nothing(db, write_file, capsys):
    path = write_file("t.csv", CSV_OK)
    call_command("import_targets", "s", str(path))
    before = list(Target.objects.order_by("pk").values())
    capsys.readouterr()
    call_command("import_targets", "s", str(path))
    assert "0 targets created, 0 updated, 3 unchanged" in capsys.readouterr().out
    assert list(Target.objects.order_by("pk").values()) == before


def test_new_criteria_update_but_new_text_is_refused(db, write_file):
    call_command("import_targets", "s", str(write_file("t.csv", CSV_OK)))
    call_command("import_targets", "s", str(write_file("t2.csv", CSV_OK.replace("P1,5,7.5", "P1,6,7.5"))))
    assert Target.objects.get(external_id="S1").criteria["motivation"] == 6.0
    changed = CSV_OK.replace("I did the homework.", "I did not do the homework.")
    with pytest.raises(CommandError, match="line 2: target 'S1' already exists with different text"):
        call_command("import_targets", "s", str(write_file("t3.csv", changed)))
    assert Target.objects.get(external_id="S1").text == "Client: I did the homework."


def test_same_ids_in_two_studies_are_separate_targets(db, write_file):
    path = write_file("t.csv", CSV_OK)
    call_command("import_targets", "s1", str(path))
    call_command("import_targets", "s2", str(path), "--title", "Second study")
    assert Target.objects.count() == 6
    assert Study.objects.get(slug="s2").title == "Second study"
