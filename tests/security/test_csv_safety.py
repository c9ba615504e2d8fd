"""CSV exports cannot carry spreadsheet formulas (OWASP "CSV Injection")."""

import csv
import io
import re
from pathlib import Path

import pytest

from common.csv_safe import csv_text, safe_cell
from ratings.services import ratings_import, study_use_instrument, targets_import
from ratings.tabular import read_rows
from reports.render import render_csv

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("value", "cell"), [
    pytest.param("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")", id="equals"),
    pytest.param("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0", id="plus"),
    pytest.param("-2+3+cmd", "'-2+3+cmd", id="minus-formula"),
    pytest.param("@SUM(A1)", "'@SUM(A1)", id="at"),
    pytest.param("\t=1", "'\t=1", id="tab"),
    pytest.param("\r=1", "'\r=1", id="carriage-return"),
    pytest.param("-1.5", "-1.5", id="negative-number-text"),
    pytest.param("+3", "+3", id="signed-number-text"),
    pytest.param(-2, -2, id="negative-int"),
    pytest.param(-0.25, -0.25, id="negative-float"),
    pytest.param("plain", "plain", id="plain"),
    pytest.param(None, "", id="none"),
    pytest.param({"=a": 1}, '{"=a": 1}', id="json-object"),
])
def test_safe_cell(value, cell):
    assert safe_cell(value) == cell


def test_only_the_shared_helper_writes_csv():
    writers = [str(p.relative_to(ROOT)) for app in ("common", "config", "instruments", "ratings", "reports")
               for p in (ROOT / app).rglob("*.py")
               if re.search(r"csv\.(writer|DictWriter)\(", p.read_text(encoding="utf-8"))]
    assert writers == ["common/csv_safe.py"]


def test_the_ratings_export_defuses_uploaded_formulas(db, engagement, django_user_model):
    from rest_framework.test import APIClient

    from ratings.services import study_get_or_create

    user = django_user_model.objects.create_user(username="m", is_staff=True)
    study, _ = study_get_or_create(slug="s", created_by=user)
    study_use_instrument(study=study, version=engagement)
    targets_import(study=study, rows=read_rows('id,text\n"=1+1",Client: hi.\n', "csv"), fmt="csv")
    ratings_import(study=study, rows=read_rows("target_id,rater_id,item,score\n=1+1,-evil,participation,3\n", "csv"),
                   instrument="therapy-engagement")
    api = APIClient()
    api.force_authenticate(user)
    rows = list(csv.DictReader(io.StringIO(api.get("/api/v1/studies/s/ratings/?format=csv").content.decode())))
    assert (rows[0]["target"], rows[0]["rater"], rows[0]["score"]) == ("'=1+1", "'-evil", "3.0")


def test_the_report_csv_defuses_rater_names():
    report = {"human_reliability": {"pairs": [{"rater_a": "b", "rater_b": "c", "estimate": -0.5, "n": 3}],
                                    "-x": {"=a~b": {"estimate": 1.0}}}}
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert [(r["path"], r["estimate"]) for r in rows] == [("pairs/b~c", "-0.5"), ("'-x/=a~b", "1.0")]
    assert csv_text([{"a": "=x"}], ["a"]) == "a\n'=x\n"
