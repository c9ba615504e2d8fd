"""Apps depend one way: reports reads ratings, instruments and psychometrics; nothing imports reports."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMPORTS_REPORTS = re.compile(r"^\s*(from|import)\s+reports\b", re.MULTILINE)


@pytest.mark.parametrize("package", ["psychometrics", "instruments", "ratings"])
def test_nothing_imports_reports_back(package):
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / package).rglob("*.py")
                 if IMPORTS_REPORTS.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
