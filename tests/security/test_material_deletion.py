"""Deleting a study's material on request: texts and identifying metadata go, the ratings and
the report stay."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from audit.models import AuditEvent
from ratings.models import ItemScore, ScoringJob
from ratings.services import targets_import
from ratings.services.roles import user_grant_role
from ratings.services.scoring import ScoringError, llm_rater_get_or_create, scoring_job_start
from ratings.tabular import ImportRejected, read_rows
from reports.build import study_report
from tests.reports.conftest import demo_study  # noqa: F401 (the demo study scored by a fake LLM)

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ["human_reliability", "internal_consistency", "llm_vs_human", "metric_sensitivity", "criterion_validity"]


def _sections(study, version):
    return json.loads(json.dumps({k: v for k, v in study_report(study, instrument_version=version, n_boot=50).items()
                                  if k in SECTIONS}))


def test_the_manager_deletes_the_material_and_the_report_is_unchanged(demo_study, client):  # noqa: F811
    study, version = demo_study
    before = _sections(study, version)
    user_grant_role(user=study.created_by, role="study-managers")
    client.force_login(study.created_by)
    url = f"/manage/{study.slug}/"
    assert client.post(url, {"action": "delete_material", "confirm_slug": "wrong"}).status_code == 200
    assert study.targets.exclude(text="").count() == 14  # not confirmed: nothing deleted
    response = client.post(url, {"action": "delete_material", "confirm_slug": study.slug})
    assert response.status_code == 302
    assert set(study.targets.values_list("text", "text_sha256")) == {("", "")}
    assert all(t.metadata == {} for t in study.targets.all()) and all(t.criteria for t in study.targets.all())
    assert not ItemScore.objects.filter(rating__target__study=study).exclude(rationale="").exists()
    assert _sections(study, version) == before  # every figure the same
    assert AuditEvent.objects.filter(action="delete", object_type="material", study=study.slug,
                                     username=study.created_by.username).count() == 1
    assert "were deleted on" in client.get(url).content.decode()
    study.refresh_from_db()
    with pytest.raises(ImportRejected, match="was deleted on request"):
        targets_import(study=study, rows=read_rows("id,text\nNEW,Client: hi.\n", "csv"), fmt="csv")
    with pytest.raises(ScoringError, match="was deleted"):
        scoring_job_start(study=study, version=version, rater=llm_rater_get_or_create(name="llm-fake"))
    assert ScoringJob.objects.count() == 1


def _manage(*args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_the_deleted_material_is_gone_from_the_sqlite_file(tmp_path):
    """The command on a real database file: the text's ciphertext and the identifying metadata
    are no longer anywhere in the file's bytes (not even in free pages)."""
    db = tmp_path / "anchor.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "ANCHOR_VAR_DIR": str(tmp_path / "var")}
    targets = tmp_path / "t.jsonl"
    targets.write_text("".join(json.dumps({"id": f"T{i}", "text": f"Client: session {i} " + "words " * 200,
                                           "metadata": {"patient": f"JANE-ROE-{i}-IDENTIFIER"}}) + "\n"
                               for i in range(30)), encoding="utf-8")
    _manage("migrate", "--noinput", env=env)
    _manage("import_targets", "withdrawn", str(targets), env=env)
    with sqlite3.connect(db) as conn:
        ciphertexts = [row[0] for row in conn.execute("SELECT text FROM ratings_target")]
    content = db.read_bytes()
    assert b"JANE-ROE-7-IDENTIFIER" in content and ciphertexts[7].encode() in content  # there before
    assert b"session 7" not in content  # the text was only ever stored encrypted
    out = _manage("delete_study_material", "withdrawn", "--yes", env=env).stdout
    assert "text and metadata of 30 target(s) deleted" in out
    content = db.read_bytes()
    assert b"JANE-ROE-" not in content
    assert not [c for c in ciphertexts if c.encode() in content]


@pytest.mark.slow
def test_the_edited_material_of_a_robustness_run_is_encrypted_and_deleted_with_the_material(tmp_path):
    """A content-edit run stores edited transcripts on its rater: encrypted like target texts (the
    plain text is never in the file) and gone from the file's bytes after the deletion."""
    db = tmp_path / "anchor.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "ANCHOR_VAR_DIR": str(tmp_path / "var")}
    targets, edits = tmp_path / "t.jsonl", tmp_path / "edits.csv"
    targets.write_text("".join(json.dumps({"id": f"T{i}", "text": f"Client: session {i} " + "words " * 50}) + "\n"
                               for i in range(5)), encoding="utf-8")
    edits.write_text("id,text\n" + "".join(f"T{i},Client: EDITED-MATERIAL-{i} I told nobody.\n" for i in range(3)),
                     encoding="utf-8")
    _manage("migrate", "--noinput", env=env)
    _manage("load_instrument", "--builtin", env=env)
    _manage("import_targets", "withdrawn", str(targets), env=env)
    _manage("score", "withdrawn", "--instrument", "therapy-engagement", "--perturb", "edit_content",
            "--edits", str(edits), env=env)
    with sqlite3.connect(db) as conn:
        [(stored,)] = conn.execute("SELECT perturbation FROM ratings_rater WHERE perturbation LIKE '%edits%'")
    stored_edits = json.loads(stored)["edits"]
    assert sorted(stored_edits) == ["T0", "T1", "T2"] and all(v.startswith("fernet:") for v in stored_edits.values())
    content = db.read_bytes()
    assert b"EDITED-MATERIAL" not in content and stored_edits["T1"].encode() in content
    _manage("delete_study_material", "withdrawn", "--yes", env=env)
    content = db.read_bytes()
    assert not [v for v in stored_edits.values() if v.encode() in content]
    with sqlite3.connect(db) as conn:
        [(stored,)] = conn.execute("SELECT perturbation FROM ratings_rater WHERE perturbation LIKE '%edits%'")
    assert json.loads(stored)["edits"] == {"T0": "", "T1": "", "T2": ""}
