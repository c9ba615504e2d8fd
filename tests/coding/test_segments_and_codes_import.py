"""Segments and codes come in atomically, every bad row named, and a re-import is a no-op."""

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from ratings.models import Rating, Segment, SegmentCode, Target
from ratings.services.material_deletion import study_material_delete

CODES = ("target_id,segment_id,rater_id,code_set,code\n"
         "S1,u1,ann,therapist_behaviour,question\nS1,u2,ann,client_talk,change\n"
         "S1,u3,ann,therapist_behaviour,reflection\nS1,u4,ann,client_talk,sustain\n"
         "S1,u1,ben,therapist_behaviour,question\nS1,u2,ben,client_talk,change\n"
         "S2,u1,ann,therapist_behaviour,question\n")


def test_jsonl_targets_carry_ordered_encrypted_segments(coded_study):
    s1 = Target.objects.get(external_id="S1")
    assert s1.text.splitlines()[0] == "Therapist: What brings you here today?"
    assert list(s1.segments.values_list("external_id", "speaker", "position")) == [
        ("u1", "Therapist", 0), ("u2", "Client", 1), ("u3", "Therapist", 2), ("u4", "Client", 3),
        ("u5", "Narrator", 4)]
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM ratings_segment WHERE external_id = 'u2' LIMIT 1")
        assert "smoking" not in cursor.fetchone()[0]


def test_import_segments_csv_is_atomic_and_idempotent(mi_coding, write_file, capsys):
    call_command("import_targets", "csv", str(write_file("t.csv", "id,text\nA,whole transcript\nB,other\n")))
    good = write_file("s.csv", "target_id,segment_id,speaker,text\nA,1,therapist,Hello.\nA,2,client,\"Hi, I\nam here.\"\n"
                               "B,1,client,Yes.\n")
    call_command("import_segments", "csv", str(good))
    assert "3 segments stored for 2 targets" in capsys.readouterr().out
    call_command("import_segments", "csv", str(good))
    assert "0 segments stored for 0 targets, 2 targets unchanged" in capsys.readouterr().out
    assert Segment.objects.get(target__external_id="A", external_id="2").text == "Hi, I\nam here."
    bad = write_file("b.csv", "target_id,segment_id,speaker,text\nC,1,client,Yes.\nB,1,client,Changed.\n"
                              "A,1,,x\n")
    with pytest.raises(CommandError) as raised:
        call_command("import_segments", "csv", str(bad))
    message = str(raised.value)
    assert "line 2: target 'C' is not in study csv" in message
    assert "`speaker` must be" in message
    assert Segment.objects.count() == 3


def test_codes_import_groups_into_one_rating_per_coder_and_target(coded_study, write_file, capsys):
    path = write_file("c.csv", CODES)
    call_command("import_codes", "mi", str(path))
    assert "3 codings created, 0 updated, 0 unchanged (7 segment codes written)" in capsys.readouterr().out
    rating = Rating.objects.get(rater__name="ann", target__external_id="S1")
    assert rating.source == "import" and rating.status == "submitted" and rating.provenance["file_name"] == "c.csv"
    assert [(c.segment.external_id, c.code) for c in rating.segment_codes.all()] == [
        ("u1", "question"), ("u2", "change"), ("u3", "reflection"), ("u4", "sustain")]
    before = list(SegmentCode.objects.order_by("pk").values())
    call_command("import_codes", "mi", str(path))
    assert "0 codings created, 0 updated, 3 unchanged" in capsys.readouterr().out
    assert list(SegmentCode.objects.order_by("pk").values()) == before
    call_command("import_codes", "mi", str(write_file("c2.csv", CODES.replace("S1,u4,ann,client_talk,sustain",
                                                                              "S1,u4,ann,client_talk,neutral"))))
    assert "0 codings created, 1 updated, 2 unchanged" in capsys.readouterr().out
    assert AuditEvent.objects.filter(object_type="ratings", action="create").count() == 3


BAD = ("target_id,segment_id,rater_id,code_set,code\n"
       "S1,u1,ann,therapist_behaviour,question\n"      # line 2: good
       "S1,u9,ann,therapist_behaviour,question\n"      # line 3: unknown segment
       "S1,u2,ann,client_talk,reflection\n"            # line 4: code not in the set
       "S1,u2,ann,therapist_behaviour,question\n"      # line 5: set not for the client
       "S1,u5,ann,client_talk,neutral\n"               # line 6: no set for the narrator
       "S1,u1,ann,therapist_behaviour,other\n"         # line 7: repeats line 2
       "S9,u1,ann,therapist_behaviour,other\n"         # line 8: unknown target
       "S1,u3,ann,speech_acts,other\n")                # line 9: unknown code set


def test_every_bad_code_row_is_named_and_nothing_is_stored(coded_study, write_file):
    with pytest.raises(CommandError) as raised:
        call_command("import_codes", "mi", str(write_file("bad.csv", BAD)))
    message = str(raised.value)
    for expected in ("line 3: segment 'u9' is not a segment of target 'S1'",
                     "line 4: code 'reflection' is not in code set 'client_talk'",
                     "line 5: code set 'therapist_behaviour' does not apply to the segment's speaker 'Client'",
                     "line 6: code set 'client_talk' does not apply to the segment's speaker 'Narrator'",
                     "line 7: ann on S1, segment u1, code set therapist_behaviour, repeats line 2",
                     "line 8: target 'S9' is not in study mi",
                     "line 9: code set 'speech_acts' is not in mi-coding@1.0.0"):
        assert expected in message, message
    assert "line 2:" not in message
    assert not Rating.objects.exists() and not SegmentCode.objects.exists()


def test_material_deletion_blanks_segment_texts_and_keeps_codes(coded_study, write_file):
    call_command("import_codes", "mi", str(write_file("c.csv", CODES)))
    study_material_delete(study=coded_study)
    assert set(Segment.objects.values_list("text", flat=True)) == {""}
    assert set(Segment.objects.values_list("text_sha256", flat=True)) == {""}
    assert Segment.objects.filter(speaker="Therapist").exists()
    assert SegmentCode.objects.count() == 7


def _post(api, body, content_type="text/csv"):
    return api.generic("POST", "/api/v1/studies/mi/codes/", body, content_type=content_type)


@pytest.fixture
def alices_coded(coded_study, alice):
    coded_study.managers.add(alice)
    return coded_study


def test_codes_api_imports_atomically_and_exports_in_transcript_order(api, alices_coded):
    response = _post(api, CODES)
    assert response.status_code == 201, response.content
    assert response.json() == {"created": 3, "updated": 0, "unchanged": 0, "segment_codes": 7, "raters_created": 2}
    assert _post(api, CODES).json()["unchanged"] == 3
    bad = _post(api, BAD)
    assert bad.status_code == 400
    assert [e["line"] for e in bad.json()["errors"]] == [3, 4, 5, 6, 7, 8, 9]
    exported = api.get("/api/v1/studies/mi/codes/").json()
    assert [(r["target_id"], r["rater_id"], r["segment_id"], r["code"]) for r in exported][:4] == [
        ("S1", "ann", "u1", "question"), ("S1", "ann", "u2", "change"), ("S1", "ann", "u3", "reflection"),
        ("S1", "ann", "u4", "sustain")]
    assert exported[0]["speaker"] == "Therapist" and exported[0]["rater_kind"] == "human"
    csv_text = api.get("/api/v1/studies/mi/codes/?format=csv").content.decode()
    assert csv_text.splitlines()[0].startswith("target_id,segment_id,position,speaker,rater_id")


def test_outside_llm_coder_with_distribution(api, alices_coded):
    rows = [{"target_id": "S2", "segment_id": "u2", "rater_id": "gpt", "code_set": "client_talk", "code": "neutral",
             "rater_kind": "llm", "model": "m1", "distribution": {"change": 0.1, "neutral": 0.8, "sustain": 0.1}}]
    assert api.post("/api/v1/studies/mi/codes/", rows, format="json").status_code == 201
    code = SegmentCode.objects.get()
    assert code.distribution == {"change": 0.1, "neutral": 0.8, "sustain": 0.1}
    assert code.rating.rater.kind == "llm" and code.rating.provenance["model"] == "m1"
    rows[0]["distribution"] = {"change": 0.5, "reflection": 0.5}
    bad = api.post("/api/v1/studies/mi/codes/", rows, format="json")
    assert bad.status_code == 400 and "not in code set 'client_talk'" in bad.json()["errors"][0]["reason"]


def test_another_users_study_is_a_404(bob_api, alices_coded):
    assert bob_api.get("/api/v1/studies/mi/codes/").status_code == 404
    assert _post(bob_api, CODES).status_code == 404
