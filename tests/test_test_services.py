"""scripts/test_services.py: what `make test` says when PostgreSQL or Redis is not installed,
and (slow) the throwaway servers it starts, as root through the postgres user when root."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("test_services", REPO / "scripts" / "test_services.py")
test_services = importlib.util.module_from_spec(spec)
spec.loader.exec_module(test_services)


def test_missing_binaries_are_named_in_one_line(monkeypatch, capsys):
    monkeypatch.delenv("POSTGRES_TEST_URL", raising=False)
    monkeypatch.delenv("ANCHOR_TEST_REDIS_URL", raising=False)
    monkeypatch.setattr(test_services, "postgres_bin", lambda name: None)
    assert test_services.main(["--", "true"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "apt-get install postgresql redis-server" in err


@pytest.mark.slow
def test_it_starts_its_own_postgres_and_redis_and_removes_them():
    if not (test_services.postgres_bin("initdb") and test_services.shutil.which("redis-server")):
        pytest.skip("PostgreSQL or Redis binaries are not installed")
    env = {k: v for k, v in os.environ.items() if k not in ("POSTGRES_TEST_URL", "ANCHOR_TEST_REDIS_URL")}
    probe = ("import os, psycopg, redis; "
             "print(psycopg.connect(os.environ['POSTGRES_TEST_URL']).execute('select 1').fetchone()[0], "
             "redis.Redis.from_url(os.environ['ANCHOR_TEST_REDIS_URL']).ping(), os.environ['POSTGRES_TEST_URL'])")
    result = subprocess.run([sys.executable, "scripts/test_services.py", "--", sys.executable, "-c", probe],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    answer = result.stdout.strip().splitlines()[-1].split()
    assert answer[:2] == ["1", "True"] and ":5432/" not in answer[2]  # never the machine's own server
