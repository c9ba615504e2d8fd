"""The layer contracts (.importlinter) hold; `make test` also runs lint-imports itself."""

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_import_contracts_are_kept():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is not installed: pip install -e '.[test]'"
    result = subprocess.run([lint, "--no-logo", "--no-cache", ".importlinter"], cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
