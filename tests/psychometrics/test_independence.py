"""psychometrics is a library a statistician can use without Django (DESIGN.md)."""

import subprocess
import sys


def test_importing_psychometrics_pulls_in_no_web_framework_or_project_code():
    code = ("import sys, psychometrics, psychometrics.cli; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'django', 'celery', 'rest_framework', 'ratings', 'instruments', 'config'}); "
            "print(','.join(bad))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
