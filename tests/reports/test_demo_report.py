"""The report on the demo study (two humans, a fake LLM rater with one failed target), through
`study_report`, the `report` command in every format, and the report page."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from reports.build import study_report
from reports.frames import item_scores_frame, scale_scores_frame, targets_frame

from .conftest import FAILING_TARGET

SCALES = ["involvement", "alliance", "change", "total"]


@pytest.fixture
def report(demo_study):
    study, version = demo_study
    return study_report(study, instrument_version=version, cluster_field="patient", n_boot=200)


def test_frames_hold_submitted_ratings_criteria_and_clusters(demo_study):
    study, version = demo_study
    items = item_scores_frame(study, instrument_version=version)
    assert set(items["rater_kind"]) == {"human", "llm"}
    humans = items[items["rater_kind"] == "human"]
    assert len(humans) == 14 * 2 * 10 and humans["expected_score"].isna().all()
    llm = items[items["rater_kind"] == "llm"]
    assert len(llm) == 13 * 10 and llm["expected_score"].notna().all()
    assert FAILING_TARGET not in set(llm["target"])
    scales = scale_scores_frame(items, spec=version.spec)
    assert set(scales["basis"]) == {"mode", "expected"} and set(scales["scale"]) == set(SCALES)
    targets = targets_frame(study, cluster_field="patient")
    assert {"criterion:motivation", "criterion:effort", "criterion:symptom_change"} <= set(targets.columns)
    assert targets["cluster"].notna().all() and targets["cluster"].nunique() < len(targets)


def test_report_has_every_section_with_n_ci_and_method(report):
    json.dumps(report, allow_nan=False)  # JSON-ready: no NaN, no numpy types
    assert report["raters"]["human"] == ["demo-rater-a", "demo-rater-b"] and report["raters"]["llm"] == ["llm-fake"]
    assert report["raters"]["llm_provenance"]["llm-fake"]["origin"] == "anchor"
    design = report["rating_design"]
    assert (design["design"], design["source"], design["linked_share"]) == ("crossed", "inferred", 1.0)
    assert design["statement"].startswith("Crossed design") and "inferred from the ratings" in design["statement"]
    total = report["human_reliability"]["scales"]["total"]
    assert total["icc"]["n_targets"] == 14 and total["icc"]["n_raters"] == 2
    assert total["icc"]["design"] == "crossed" and total["icc"]["layout"].startswith("complete")
    assert total["icc"]["lead"] == ["ICC2", "ICC3", "ICC2k"] and len(total["icc"]["forms"]) == 6
    # 14 targets and 2 raters: the small-sample warning names its threshold and reference
    assert any("Fewer than 30 targets (n = 14)" in w and "Koo & Li (2016" in w for w in total["icc"]["warnings"])
    icc2 = total["icc"]["forms"]["ICC2"]
    assert icc2["ci_low"] <= icc2["estimate"] <= icc2["ci_high"] and icc2["method"]
    item = report["human_reliability"]["items"]["participation"]
    assert item["level"] == "ordinal" and item["krippendorff_alpha"]["level"] == "ordinal"
    assert item["cohen_kappa_pairs"][0]["weights"] == "quadratic"
    assert report["internal_consistency"]["human"]["scales"]["total"]["alpha"]["n"] == 28
    # the total is made of three subscales: omega hierarchical with them as group factors
    omega_h = report["internal_consistency"]["human"]["scales"]["total"]["omega_hierarchical"]
    # 28 ratings do not show three group factors above sampling noise: the model is not fitted and
    # the reason (parallel analysis) is named, not a number from an improper solution
    assert omega_h["error"].startswith("The items show fewer than 3 common factors that stand out from sampling noise")
    assert "28 observations of 10 items (parallel analysis, Horn 1965" in omega_h["error"]
    assert "omega_hierarchical" not in report["internal_consistency"]["human"]["scales"]["involvement"]
    for scale in ("involvement", "alliance", "change"):  # omega per subscale is a number again
        omega = report["internal_consistency"]["human"]["scales"][scale]["omega"]
        assert "error" not in omega and omega["n"] == 28
        assert any("fewer than 100" in w and "MacCallum" in w for w in omega["warnings"])
    # a cluster field: the two-level omega of every scale (28 ratings in 5 patients), each either a
    # converged fit's omegas or the reason its fit stopped short, never a number from such a fit
    multilevel = report["internal_consistency"]["human"]["multilevel_omega"]
    assert set(multilevel) == {"observations", *SCALES}
    for scale in SCALES:
        entry = multilevel[scale]
        assert ("two-level model" in entry["error"]) if "error" in entry else (
            entry["converged"] and entry["n_clusters"] == 5 and 0 < entry["omega_within"] <= 1)
    distributions = report["score_distributions"]["scales"]["total"]
    assert len(distributions["human"]["values"]) == 28 and distributions["llm-fake"]["mean"]["n"] == 13
    assert "llm-fake" in report["internal_consistency"]["llm"]
    vs = report["llm_vs_human"]["llm"]["llm-fake"]["total"]
    assert vs["against_mean_human"]["n"] == 13
    assert set(vs["against_each_human"]) == {"demo-rater-a", "demo-rater-b"}
    calibration = report["llm_vs_human"]["llm"]["llm-fake"]["participation"]["calibration"]
    assert calibration["brier_score"]["n"] == 13 and 0 <= calibration["brier_score"]["estimate"] <= 2
    assert calibration["expected_calibration_error"]["method"]
    assert {"mode", "expected"} == set(report["metric_sensitivity"]["llm"]["llm-fake"]["total"])
    validity = report["criterion_validity"]["scales"]["total"]["human_mean"]["effort"]
    assert validity["cluster_bootstrap"]["n"] == validity["n_clusters"]
    assert "bootstrap resampling clusters" in validity["cluster_bootstrap"]["method"]
    assert validity["disattenuated_r"]["reliability_x_from"].startswith("ICC2k")
    assert report["robustness"]["runs"] == {} and "--perturb" in report["robustness"]["note"]
    assert report["missing"]["llm_failed_ratings"] == {"llm-fake": 1}
    assert report["missing"]["llm_failed_targets"] == {"llm-fake": [FAILING_TARGET]}
    # The fake LLM's scale score is constant-ish per target length: whatever cannot be computed
    # is recorded as a sentence, never a number.
    for figure in _figures(report):
        assert ("error" in figure) != ("estimate" in figure)
        if "error" in figure:
            assert isinstance(figure["error"], str) and figure["error"].endswith(".")


def _figures(node):
    if isinstance(node, dict):
        if "estimate" in node or "error" in node:
            yield node
        for value in node.values():
            yield from _figures(value)
    elif isinstance(node, list):
        for value in node:
            yield from _figures(value)


def test_same_seed_same_report(demo_study, report):
    study, version = demo_study
    again = study_report(study, instrument_version=version, cluster_field="patient", n_boot=200)
    for key in ("human_reliability", "llm_vs_human", "criterion_validity", "missing"):
        assert again[key] == report[key]


def test_report_command_json_csv_html(demo_study, tmp_path):
    out = io.StringIO()
    call_command("report", "demo-engagement", "--format", "json", "--n-boot", "100", stdout=out)
    data = json.loads(out.getvalue())
    assert data["study"] == "demo-engagement"

    out = io.StringIO()
    call_command("report", "demo-engagement", "--format", "csv", "--n-boot", "100", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    sections = {r["section"] for r in rows}
    assert {"human_reliability", "internal_consistency", "llm_vs_human", "metric_sensitivity",
            "criterion_validity"} <= sections
    icc2 = [r for r in rows if r["path"] == "scales/total/icc/forms/ICC2"]
    assert len(icc2) == 1 and float(icc2[0]["estimate"]) == data["human_reliability"]["scales"][
        "total"]["icc"]["forms"]["ICC2"]["estimate"]

    target = tmp_path / "report.html"
    call_command("report", "demo-engagement", "--format", "html", "--n-boot", "100", "--instrument",
                 "therapy-engagement", "--cluster", "patient", "--output", str(target))
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") >= 8
    assert "<link" not in html and "<script" not in html and "src=" not in html  # standalone
    assert "1. Human panel reliability" in html and "6. Robustness of the LLM rater" in html
    assert "2b. Two-level omega (cluster field &#x27;patient&#x27;)" in html
    for group in ("Score distributions", "Rater-by-rater agreement", "Calibration (reliability diagrams): llm-fake",
                  "Item-total correlations", "llm-fake: total"):
        assert f'data-figure="{group}"' in html, group
    assert html.count("<svg") >= 8 + 4 + 4 + 10 + 1  # scatter/BA, distributions, heat maps, calibration, bars


def test_report_command_errors(demo_study):
    with pytest.raises(CommandError, match="no study"):
        call_command("report", "nope")
    with pytest.raises(CommandError, match="does not use"):
        call_command("report", "demo-engagement", "--instrument", "novelty-assessment")


def test_report_page_for_creator_and_staff_only(demo_study, client, django_user_model, settings):
    settings.ANCHOR_REPORT_N_BOOT = 100
    url = "/studies/demo-engagement/report/"
    assert client.get(url).status_code == 302  # login required
    client.login(username="creator", password="pw")
    response = client.get(url)
    assert response.status_code == 200
    assert b"LLM llm-fake against the mean human" in response.content and b"<svg" in response.content
    django_user_model.objects.create_user(username="other", password="pw")
    client.login(username="other", password="pw")
    assert client.get(url).status_code == 404
    assert client.get("/studies/no-such-study/report/").status_code == 404
    django_user_model.objects.create_user(username="staffer", password="pw", is_staff=True)
    client.login(username="staffer", password="pw")
    assert client.get(url).status_code == 200


def test_report_api_gives_the_same_numbers_as_the_command_to_its_users_only(demo_study, django_user_model):
    import json

    from django.core.management import call_command
    from rest_framework.test import APIClient

    study, _ = demo_study
    client = APIClient()
    assert client.get(f"/api/v1/studies/{study.slug}/report/").status_code == 401
    client.force_authenticate(django_user_model.objects.create_user(username="stranger"))
    assert client.get(f"/api/v1/studies/{study.slug}/report/").status_code == 404
    client.force_authenticate(study.created_by)
    via_api = client.get(f"/api/v1/studies/{study.slug}/report/").json()
    import io

    out = io.StringIO()
    call_command("report", study.slug, "--format", "json", stdout=out)
    via_command = json.loads(out.getvalue())
    drop = lambda r: {k: v for k, v in r.items() if k not in ("generated_at",)}  # noqa: E731
    assert drop(via_api) == drop(via_command)
    assert client.get(f"/api/v1/studies/{study.slug}/report/?instrument=ghost").status_code == 400
