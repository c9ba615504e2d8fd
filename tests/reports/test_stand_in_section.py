"""The report section "Can the LLM stand in for humans?" on a synthetic study with an imported
outside judge, on the demo study, and with a sampling plan drawn by LLM uncertainty."""

import io
import zipfile

import pytest

from reports.build import Data, study_report
from reports.render import render_csv_zip, render_html
from reports.stand_in_section import section_stand_in, stand_in_tables

from .stand_in_factory import synthetic_study

NAMES = ("winning_rate", "advantage_probability", "epsilon", "passes")


@pytest.fixture
def synthetic(db):
    return synthetic_study(n_targets=120, n_humans=3, n_llms=2, human_share=0.5, seed=1)


def test_section_per_llm_rater_and_score(synthetic):
    study, version = synthetic
    section = section_stand_in(Data(study, version, "patient"), {"n_boot": 200, "seed": 0})
    assert set(section["llm"]) == {f"{study.slug}-llm-0", f"{study.slug}-llm-1"}  # the imported judge too
    for rater, entry in section["llm"].items():
        assert entry["summary"].startswith(rater)
        for code, measure in entry["measures"].items():
            assert all(name in measure for name in NAMES), code
            assert measure["epsilon"] == 0.2
            assert measure["passes"] in (True, False)  # 3 humans x ~60 targets: above the minimum sizes
            assert "ICC" in measure["sentence"] or "agreement" in measure["sentence"]
        total = entry["measures"]["total"]
        assert total["ppi"]["mean"]["n"] == section["n_human_rated_targets"]
        assert total["ppi"]["mean_clustered"]["clustered"] is True
        assert "random sample" in total["ppi"]["mean"]["assumption"]
        assert "outcome" in total["ppi"]["criteria"]
    assert section["headline"].startswith("Can the LLM stand in for humans?")
    tables = stand_in_tables({"stand_in": section})
    assert [t["title"] for t in tables][:2] == [f"9. Can the LLM stand in for humans? LLM {r}"
                                                for r in section["llm"]]
    assert tables[-1]["title"].endswith("Criterion correlations (PPI)")


def test_demo_report_says_why_there_is_no_verdict(demo_study):
    study, version = demo_study
    report = study_report(study, instrument_version=version, n_boot=100)
    section = report["stand_in"]
    measure = section["llm"]["llm-fake"]["measures"]["total"]
    assert measure["passes"] is None and measure["winning_rate"] is None and measure["epsilon"] == 0.2
    assert "minimum sizes" in measure["alt_test"]["reason"]
    assert "no verdict" in section["llm"]["llm-fake"]["summary"]
    html = render_html(report)
    assert 'id="stand-in-summary"' in html and "9. Can the LLM stand in for humans? LLM llm-fake" in html
    names = zipfile.ZipFile(io.BytesIO(render_csv_zip(report))).namelist()
    assert any("can-the-llm-stand-in" in n for n in names)


def test_wide_tables_match_the_reports_matrices(synthetic):
    from reports.stand_in_section import _Wide

    study, version = synthetic
    data = Data(study, version, None)
    wide = _Wide(data, data.targets.index)
    for kind_of, code, level in data.measures():
        humans = data.matrix(kind_of, code).reindex(data.targets.index)
        assert wide.humans_matrix(kind_of, code).equals(humans[wide.humans_matrix(kind_of, code).columns])
        llm = data.matrix(kind_of, code, kind="llm", basis="mode" if level == "nominal" else "expected")
        for rater in data.llms:
            assert wide.llm(kind_of, code, level, rater).equals(llm[rater].reindex(data.targets.index)), (code, rater)
