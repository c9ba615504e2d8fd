"""The report of a coding instrument: per code set agreement, summaries like scale scores, nothing
missing for segments a set does not apply to, no ICC of nominal codes."""

import pytest
from django.core.management import call_command

from instruments.selectors import instrument_version_get
from ratings.models import Study
from ratings.services.demo import DEMO_CODING_STUDY, demo_setup
from reports.build import study_report

FIGURE_KEYS = {"estimate", "ci_low", "ci_high", "n"}


@pytest.fixture
def demo_report(db):
    demo_setup(accounts=False)
    study = Study.objects.get(slug=DEMO_CODING_STUDY)
    return study_report(study, instrument_version=instrument_version_get(reference="mi-coding"), n_boot=200)


def test_report_has_the_four_figures_per_code_set(demo_report):
    assert demo_report["kind"] == "coding" and demo_report["raters"]["human"] == ["coder_a", "coder_b"]
    for code_set in ("therapist_behaviour", "client_talk"):
        entry = demo_report["coding_agreement"][code_set]
        assert entry["level"] == "nominal" and "icc" not in entry and "icc" not in entry["human"]
        for name in ("fleiss_kappa", "krippendorff_alpha", "percent_agreement", "cohen_kappa"):
            figure = entry["human"][name]
            assert FIGURE_KEYS <= set(figure), (code_set, name, figure)
            assert figure["ci_low"] <= figure["estimate"] <= figure["ci_high"]
        assert entry["human"]["fleiss_kappa"]["n"] == entry["n_applicable_segments"]
        assert set(entry["human"]["per_code_kappa"]) == set(entry["codes"])
        assert len(entry["human_pairs"]) == 1


def test_only_applicable_segments_count_and_none_are_missing(demo_report):
    talk = demo_report["coding_agreement"]["client_talk"]
    behaviour = demo_report["coding_agreement"]["therapist_behaviour"]
    assert talk["n_applicable_segments"] + behaviour["n_applicable_segments"] == 70
    assert demo_report["missing"]["client_talk"] == {"coder_a": 0, "coder_b": 0}
    assert demo_report["missing"]["therapist_behaviour"] == {"coder_a": 0, "coder_b": 0}


def test_summaries_behave_like_scale_scores(demo_report):
    pct = demo_report["summaries"]["pct_change_talk"]
    assert pct["kind"] == "ratio" and pct["n_undefined"] == 0
    assert "ICC2" in pct["icc"]["forms"] and len(pct["human_vs_human"]) == 1
    validity = pct["criterion_validity"]["human_mean"]["goal_progress"]["pearson_r"]
    assert validity["n"] == 6 and validity["estimate"] > 0.5


def test_llm_coder_sits_beside_the_human_pairs(demo_report, write_file):
    study = Study.objects.get(slug=DEMO_CODING_STUDY)
    rows = ["target_id,segment_id,rater_id,code_set,code,rater_kind"]
    with open("ratings/demo/coding/codes.csv") as f:
        rows += [line.strip().replace("coder_a", "judge") + ",llm" for line in f if line.startswith("MI") and
                 ",coder_a," in line]
    call_command("import_codes", study.slug, str(write_file("llm.csv", "\n".join(rows) + "\n")))
    report = study_report(study, instrument_version=instrument_version_get(reference="mi-coding"), n_boot=100)
    entry = report["coding_agreement"]["client_talk"]["llm"]["judge"]
    assert entry["against_each_human"]["coder_a"]["estimate"] == pytest.approx(1.0)
    assert FIGURE_KEYS <= set(entry["against_human_majority"])
    summary = report["summaries"]["pct_change_talk"]["llm"]["judge"]["against_mean_human"]
    assert summary["n"] == 6
    assert report["raters"]["llm"] == ["judge"] and report["raters"]["human"] == ["coder_a", "coder_b"]


def test_a_session_without_change_or_sustain_talk_has_no_pct(db, mi_coding, write_file):
    import json
    line = {"id": "X", "segments": [{"id": "1", "speaker": "therapist", "text": "Hi."},
                                    {"id": "2", "speaker": "client", "text": "Hello."}]}
    call_command("import_targets", "x", str(write_file("x.jsonl", json.dumps(line) + "\n")))
    codes = ("target_id,segment_id,rater_id,code_set,code\nX,1,a,therapist_behaviour,other\n"
             "X,2,a,client_talk,neutral\nX,1,b,therapist_behaviour,other\nX,2,b,client_talk,neutral\n")
    call_command("import_codes", "x", str(write_file("c.csv", codes)), "--instrument", "mi-coding")
    report = study_report(Study.objects.get(slug="x"), instrument_version=mi_coding, n_boot=50)
    assert report["summaries"]["pct_change_talk"]["n_undefined"] == 2
    assert report["summaries"]["reflection_to_question"]["n_undefined"] == 2


def test_report_page_renders_coding_tables(demo_report):
    from reports.render import render_csv, render_html
    html = render_html(demo_report)
    assert "Agreement on the codes, per code set" in html and "Percent change talk" in html
    assert "fleiss_kappa" in render_csv(demo_report)


def test_report_of_one_coder_or_none_names_what_is_undefined(coded_study, mi_coding, write_file):
    empty = study_report(coded_study, instrument_version=mi_coding, n_boot=20)
    assert "error" in empty["coding_agreement"]["client_talk"]["human"]
    call_command("import_codes", "mi", str(write_file("one.csv", "target_id,segment_id,rater_id,code_set,code\n"
                                                                 "S1,u2,ann,client_talk,change\n")))
    one = study_report(coded_study, instrument_version=mi_coding, n_boot=20)
    assert "two coders" in one["coding_agreement"]["client_talk"]["human"]["error"]
    assert one["missing"]["client_talk"] == {"ann": 1}  # S1's other client utterance; S2 was not coded by ann
    assert one["missing"]["therapist_behaviour"] == {"ann": 2}


def test_a_changed_code_invalidates_the_cached_report(coded_study, mi_coding, write_file):
    from reports.selectors import ratings_fingerprint
    codes = "target_id,segment_id,rater_id,code_set,code\nS1,u2,ann,client_talk,change\n"
    call_command("import_codes", "mi", str(write_file("a.csv", codes)))
    before = ratings_fingerprint(coded_study, mi_coding)
    call_command("import_codes", "mi", str(write_file("b.csv", codes.replace("change", "sustain"))))
    assert ratings_fingerprint(coded_study, mi_coding) != before
