"""Every table of the report as CSV: one file per table from the command, a zip from the page,
cells that a spreadsheet will not run as formulas."""

import csv
import io
import zipfile

import pytest
from django.core.management import call_command

from reports.build import study_report
from reports.render import render_table_csvs, report_context


@pytest.fixture
def report(demo_study):
    study, version = demo_study
    return study_report(study, instrument_version=version, n_boot=50)


def test_one_csv_per_table_with_the_page_s_labels_and_numeric_figures(report):
    files = render_table_csvs(report)
    tables = report_context(report, with_plots=False)["tables"]
    assert len(files) == len(tables) + 1 and "figures.csv" in files
    for (name, text), table in zip(list(files.items())[1:], tables, strict=True):
        rows = list(csv.reader(io.StringIO(text)))
        assert name.endswith(".csv")
        if rows[0][table["labels"]:table["labels"] + 2] == ["statistic", "estimate"]:  # a table of figures
            assert rows[0][:table["labels"]] == table["headers"][:table["labels"]]
            assert {r[0] for r in rows[1:]} <= {str(row[0]) for row in table["rows"]}
        else:  # a table of counts, as shown
            assert rows[0] == table["headers"] and len(rows) - 1 - bool(table["note"]) == len(table["rows"])
    assert "01-1-human-panel-reliability.csv" in files


def test_injected_names_are_neutralised(report):
    items = report["human_reliability"]["items"]
    items['=HYPERLINK("http://evil")'] = items.pop("participation")
    text = render_table_csvs(report)["01-1-human-panel-reliability.csv"]
    first_cells = [row[0] for row in csv.reader(io.StringIO(text))]
    assert "'=HYPERLINK(\"http://evil\")" in first_cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in first_cells)


def test_command_writes_a_folder_and_the_page_a_zip(demo_study, tmp_path, client, settings):
    settings.ANCHOR_REPORT_N_BOOT = 50
    folder = tmp_path / "tables"
    call_command("report", "demo-engagement", "--format", "csv", "--n-boot", "50", "--output", f"{folder}/")
    names = sorted(p.name for p in folder.iterdir())
    assert "figures.csv" in names and "07-6-robustness-of-the-llm-rater.csv" in names
    assert len(names) >= 9

    client.login(username="creator", password="pw")
    page = client.get("/studies/demo-engagement/report/")
    assert b'id="download-tables"' in page.content
    response = client.get("/studies/demo-engagement/report/tables.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == names
    assert archive.read("figures.csv").decode().startswith("section,path,estimate")
