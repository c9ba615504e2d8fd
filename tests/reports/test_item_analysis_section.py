"""Report section 8 (item analysis) on the demo study and on a simulated pool with known structure."""

from reports.build import study_report
from reports.render import render_csv, render_html
from tests.scaledev.conftest import pool_study  # noqa: F401 (fixture)


def test_the_demo_report_has_an_item_analysis_per_llm_rater(demo_study):
    study, version = demo_study
    report = study_report(study, instrument_version=version, n_boot=50)
    section = report["item_analysis"]
    assert section["pool"] is False and list(section["llm"]) == ["llm-fake"]
    rows = {row["item"]: row for row in section["llm"]["llm-fake"]["items"]}
    assert list(rows) == list(version.spec.item_codes)
    n_targets = study.targets.count()
    # one demo target's LLM rating failed: it is missing data, never a score
    assert all(row["n"] == n_targets - 1 for row in rows.values())
    assert all(abs(row["missing_share"] - 1 / n_targets) < 1e-12 for row in rows.values())
    assert all(0 <= row["floor_share"] <= 1 for row in rows.values())
    assert "8. Item analysis: LLM llm-fake" in render_html(report)
    render_csv(report)  # the section does not break the CSV export


def test_on_a_simulated_pool_the_true_items_stand_out(pool_study):  # noqa: F811
    study, pool, true = pool_study
    report = study_report(study, instrument_version=pool, n_boot=20)
    rows = {row["item"]: row for row in report["item_analysis"]["llm"]["llm-pool"]["items"]}
    assert report["item_analysis"]["pool"] is True and len(rows) == 40
    noise = [code for code in rows if code not in true]
    assert min(abs(rows[c]["loading"]) for c in true) > 0.5 > 0.2 > max(abs(rows[c]["loading"]) for c in noise)
    assert min(abs(rows[c]["r:motivation"]) for c in true) > max(abs(rows[c]["r:motivation"]) for c in noise)
    # answers cut at standard-normal quintiles: about a fifth at each end of the 1-5 scale,
    # counted on the LLM's modes (its expected scores never sit exactly on 1 or 5)
    assert all(0.1 < rows[c]["floor_share"] < 0.3 and 0.1 < rows[c]["ceiling_share"] < 0.3 for c in rows)
