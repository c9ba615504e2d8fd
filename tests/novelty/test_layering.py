"""Apps depend one way: novelty builds on ratings and instruments; nothing imports novelty back
(ratings finds the runner through the registry novelty fills in its AppConfig.ready)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMPORTS_NOVELTY = re.compile(r"^\s*(from|import)\s+novelty\b", re.MULTILINE)


@pytest.mark.parametrize("package", ["psychometrics", "instruments", "ratings", "reports"])
def test_nothing_imports_novelty_back(package):
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / package).rglob("*.py")
                 if IMPORTS_NOVELTY.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_pipeline_core_needs_no_django():
    for module in ("pipeline", "gates", "retrieval"):
        source = (ROOT / "novelty" / f"{module}.py").read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+django\b", source, re.MULTILINE), module
