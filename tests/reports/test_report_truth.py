"""What the report shows on real-world shapes of data (issue 14): an instrument of items without
subscales, an outside judge imported as an LLM rater, omega per subscale against R, intervals
inside their ranges, numeric table CSVs, legible plots and a cached page."""

import csv
import io
import re

import numpy as np
import pytest

from instruments.definition import parse_document, to_yaml
from instruments.selectors import instrument_version_get
from instruments.services import instrument_load
from ratings.models import ItemScore, Rater, Rating
from ratings.services import study_get_or_create, study_use_instrument, targets_import
from ratings.services.ratings_import import ratings_import
from ratings.tabular import read_rows
from reports.build import study_report
from reports.frames import item_scores_frame, scale_scores_frame, scale_scores_frame_reference
from reports.models import ReportRun
from reports.render import render_html, render_table_csvs, report_context

N_TARGETS = 24


@pytest.fixture
def story_eval(db, builtin_text):
    """Four items and no subscales (like a story-evaluation data set's criteria)."""
    doc = parse_document(builtin_text("therapy-engagement"))
    doc.pop("subscales")
    doc.update(slug="story-eval", title="Story evaluation", items=doc["items"][:4])
    for item in doc["items"]:
        item.pop("subscale", None)
    instrument_load(text=to_yaml(doc))
    return instrument_version_get(reference="story-eval")


@pytest.fixture
def stories(story_eval):
    study, _ = study_get_or_create(slug="stories")
    study_use_instrument(study=study, version=story_eval)
    rng = np.random.default_rng(3)
    truth = rng.normal(0, 1, N_TARGETS)
    lines = ["id,text,criterion:quality"] + [f"S{t:02d},story {t},{truth[t] + rng.normal(0, .5):.6f}"
                                             for t in range(N_TARGETS)]
    targets_import(study=study, rows=read_rows("\n".join(lines) + "\n", "csv"), fmt="csv")
    rows = ["target_id,rater_id,item,score"]
    for t in range(N_TARGETS):
        for j in range(3):
            for item in story_eval.spec.items:
                rows.append(f"S{t:02d},w{j + 1},{item.code},{int(np.clip(np.rint(3 + truth[t] + rng.normal(0, .7)), 1, 5))}")
    ratings_import(study=study, rows=read_rows("\n".join(rows) + "\n", "csv"))
    # An outside judge, imported (the contract of issue 14): kind llm, source import, provenance
    # naming the file; non-integer expected scores (averaged over prompt variants), no distribution.
    judge = Rater.objects.create(name="gpt-judge", kind=Rater.Kind.LLM)
    items = {row.code: row for row in story_eval.items.all()}
    for t, target in enumerate(study.targets.order_by("external_id")):
        rating = Rating.objects.create(rater=judge, target=target, instrument_version=story_eval,
                                       source=Rating.Source.IMPORT, provenance={
                                           "imported": True, "file_name": "judge.csv",
                                           "file_sha256": "ab" * 32, "model": "gpt-x"})
        for item in story_eval.spec.items:
            expected = float(np.clip(3 + truth[t] + rng.normal(0, .4), 1, 5))
            ItemScore.objects.create(rating=rating, item=items[item.code], score=float(np.rint(expected)),
                                     expected_score=expected)
    return study, story_eval


def test_items_without_subscales_are_reported_at_item_level_and_the_judge_is_an_llm(stories):
    study, version = stories
    report = study_report(study, instrument_version=version, n_boot=50)
    assert report["raters"]["human"] == ["w1", "w2", "w3"] and report["raters"]["llm"] == ["gpt-judge"]
    provenance = report["raters"]["llm_provenance"]["gpt-judge"]
    assert provenance["origin"] == "imported" and provenance["files"][0]["file_name"] == "judge.csv"
    assert provenance["text"] == "imported (judge.csv, sha256 abababababab, model gpt-x)"
    assert "gpt-judge" not in report["human_reliability"]["raters"]
    assert report["human_reliability"]["design"]["n_raters"] == 3  # the judge is not in the human panel

    consistency = report["internal_consistency"]
    assert consistency["level"] == "item" and list(consistency["human"]["scales"]) == ["all_items"]
    assert "estimate" in consistency["human"]["scales"]["all_items"]["alpha"]
    assert "estimate" in consistency["llm"]["gpt-judge"]["scales"]["all_items"]["omega"]
    validity = report["criterion_validity"]
    assert validity["level"] == "item" and set(validity["scales"]) == {i.code for i in version.spec.items}
    assert "estimate" in validity["scales"]["participation"]["gpt-judge"]["quality"]["pearson_r"]
    assert set(report["score_distributions"]["scales"]) == {i.code for i in version.spec.items}
    against = report["llm_vs_human"]["llm"]["gpt-judge"]["participation"]
    assert against["against_mean_human"]["n"] == N_TARGETS
    assert "no probability distribution" in against["calibration"]["error"]

    html = render_html(report)
    assert "No ratings yet" not in html
    assert "imported (judge.csv, sha256 abababababab, model gpt-x)" in html
    assert 'data-figure="gpt-judge: participation"' in html  # scatter at item level
    assert "Score distributions (items: the instrument defines no subscales)" in html
    assert "Calibration (reliability diagrams): gpt-judge: This LLM rater&#x27;s ratings carry no probability" in html
    context = report_context(report, with_plots=False)
    for table in context["tables"]:
        assert table["rows"] or table["empty"], table["title"]  # nothing empty without a reason


def test_scale_scores_vectorised_equal_the_per_rating_loop(demo_study):
    study, version = demo_study
    items = item_scores_frame(study, instrument_version=version)
    items.loc[items.index[::7], "expected_score"] = np.nan  # some missing expected scores
    items = items.drop(items.index[::11])  # and some unanswered items
    fast = scale_scores_frame(items, spec=version.spec)
    slow = scale_scores_frame_reference(items, spec=version.spec)
    assert list(fast.columns) == list(slow.columns) and len(fast) == len(slow)
    for column in ("target", "rater", "rater_kind", "scale", "basis"):
        assert fast[column].tolist() == slow[column].tolist()
    assert fast["score"].isna().tolist() == slow["score"].isna().tolist()
    np.testing.assert_allclose(fast["score"].to_numpy(), slow["score"].to_numpy(), rtol=0, atol=1e-12)


# psych 2.2.9 on R 4.2.2 (Debian r-cran-psych), the demo's 28 human ratings keyed
# (resistance reversed, 6 - x): psych::alpha(x[, items])$total$raw_alpha and
# psych::omega(x[, items], nfactors = 1)$omega.tot.
R_SUBSCALES = {"involvement": (0.949143879376437, 0.950260254453527),
               "alliance": (0.968621199718524, 0.970618174048488),
               "change": (0.975231612781244, 0.975344688058541)}


@pytest.fixture
def demo_report(demo_study):
    study, version = demo_study
    return study_report(study, instrument_version=version, cluster_field="patient", n_boot=100)


def test_demo_subscales_alpha_and_omega_equal_psych(demo_report):
    scales = demo_report["internal_consistency"]["human"]["scales"]
    for code, (alpha, omega) in R_SUBSCALES.items():
        assert scales[code]["alpha"]["estimate"] == pytest.approx(alpha, abs=1e-12)
        assert scales[code]["omega"]["estimate"] == pytest.approx(omega, abs=1e-6)  # minres to ~1e-8


RANGES = [  # (path pattern, lowest, highest): a parameter's possible range
    (r"ICC\d?k?$|ICC2$", 0.0, 1.0), (r"cohen_kappa", -1.0, 1.0), (r"krippendorff_alpha$", -1.0, 1.0),
    (r"pearson_r$|spearman_rho$|cluster_bootstrap$|disattenuated_r$", -1.0, 1.0),
    (r"mean_absolute_error$|brier_score$", 0.0, 2.0 ** 31), (r"expected_calibration_error$", 0.0, 1.0),
    (r"/alpha$", -2.0 ** 31, 1.0),
]


def _figures(node, path=""):
    if isinstance(node, dict):
        if "estimate" in node:
            yield path, node
        for key, value in node.items():
            yield from _figures(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _figures(value, f"{path}/{i}")


def test_every_interval_is_inside_its_range_and_every_bound_breach_is_explained(demo_report):
    checked = 0
    for path, figure in _figures(demo_report):
        for pattern, low, high in RANGES:
            if re.search(pattern, path) and figure.get("ci_low") is not None:
                assert low <= figure["ci_low"] <= figure["ci_high"] <= high, (path, figure)
                if not low <= figure["estimate"] <= high:
                    assert figure.get("out_of_range"), path
                checked += 1
    assert checked > 300


def test_table_csvs_carry_numeric_estimates(demo_report):
    files = render_table_csvs(demo_report)
    rows = list(csv.DictReader(io.StringIO(files["01-1-human-panel-reliability.csv"])))
    assert {"estimate", "ci_low", "ci_high", "n", "method"} <= set(rows[0])
    icc = next(r for r in rows if r["measure"] == "total" and r["statistic"] == "ICC2 = ICC(A,1)")
    assert float(icc["estimate"]) == demo_report["human_reliability"]["scales"]["total"]["icc"]["forms"]["ICC2"]["estimate"]
    for name, text in files.items():
        for row in csv.reader(io.StringIO(text)):
            assert not any(cell.startswith("'-") and cell[2:3].isdigit() for cell in row), (name, row)
    negative = [r for text in files.values() for r in csv.DictReader(io.StringIO(text))
                if (r.get("ci_low") or "").startswith("-")]
    assert negative and all(float(r["ci_low"]) < 0 for r in negative)  # plain negative numbers


def test_plot_text_is_at_least_10_px_and_calibration_is_collapsed(demo_report):
    html = render_html(demo_report)
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) >= 20
    for svg in svgs:
        width_pt = float(re.search(r'<svg[^>]*width="([\d.]+)pt"', svg).group(1))
        view_width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
        px_per_unit = width_pt * 4 / 3 / view_width  # shown at its natural size (CSS: max-width only)
        sizes = [float(s) for s in re.findall(r"font-size: ([\d.]+)px", svg)]
        assert sizes and min(sizes) * px_per_unit >= 10, min(sizes)
    assert "<details><summary>Calibration (reliability diagrams): llm-fake (10 plots)</summary>" in html
    assert len(html) < 700_000  # was 1.3 MB with text drawn as paths


def test_report_page_is_rendered_once_and_served_from_the_cache(demo_study, client, settings, monkeypatch):
    settings.ANCHOR_REPORT_N_BOOT = 50
    client.login(username="creator", password="pw")
    first = client.get("/studies/demo-engagement/report/")
    run = ReportRun.objects.get(study=demo_study[0])
    assert first.status_code == 200 and run.html and "__ANCHOR_TABLES_URL__" in run.html

    def no_rendering(*args, **kwargs):
        raise AssertionError("a cached view must not render the report again")

    monkeypatch.setattr("reports.render.render_html", no_rendering)
    monkeypatch.setattr("reports.plots._svg", no_rendering)
    again = client.get("/studies/demo-engagement/report/")
    assert again.status_code == 200 and again.content == first.content
    assert b'href="/studies/demo-engagement/report/tables.zip"' in again.content


def test_a_study_without_ratings_says_why_everywhere(story_eval):
    study, _ = study_get_or_create(slug="empty")
    study_use_instrument(study=study, version=story_eval)
    targets_import(study=study, rows=read_rows("id,text\nA,a\nB,b\n", "csv"), fmt="csv")
    report = study_report(study, instrument_version=story_eval, n_boot=20)
    assert report["rating_design"]["design"] is None
    assert report["rating_design"]["statement"].startswith("No target has two human ratings")
    html = render_html(report)
    assert "Score distributions: No submitted ratings of this instrument yet." in html
    assert "No LLM rater has rated this study" in html
    for table in report_context(report, with_plots=False)["tables"]:
        assert table["rows"] or table["empty"], table["title"]
