"""deploy/ stays true to the code: the env example lists every setting read, the limits agree."""

import re
from pathlib import Path

import pytest
import yaml

from config import settings as project_settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
CODE_DIRS = ["config", "instruments", "ratings", "reports", "psychometrics", "deploy"]
# env("X"), env.bool("X"), env.db("X"), os.environ.get("X"), os.environ["X"], os.getenv("X")
READ = re.compile(r"""\b(?:env(?:\.\w+)?\(|os\.environ\.get\(|os\.environ\[|os\.getenv\()\s*["']([A-Z][A-Z0-9_]*)["']""")
NOT_SETTINGS = {"DJANGO_SETTINGS_MODULE"}


def settings_read_by_the_code() -> set[str]:
    names = set()
    for folder in CODE_DIRS:
        for path in (REPO / folder).rglob("*.py"):
            names |= set(READ.findall(path.read_text(encoding="utf-8")))
    return names - NOT_SETTINGS


def settings_in_the_example() -> dict[str, str]:
    lines = (DEPLOY / "anchor.env.example").read_text(encoding="utf-8").splitlines()
    pairs = [re.match(r"^#? ?([A-Z][A-Z0-9_]*)=(.*)$", line) for line in lines]
    return {m[1]: m[2] for m in pairs if m}


def test_the_env_example_lists_every_setting_the_code_reads_and_no_other():
    read = settings_read_by_the_code()
    assert {"DATABASE_URL", "SECRET_KEY", "ANCHOR_PRODUCTION", "ANCHOR_LLM_MODEL", "ANCHOR_WEB_WORKERS"} <= read
    example = set(settings_in_the_example())
    assert sorted(read - example) == [], "settings the code reads that deploy/anchor.env.example misses"
    assert sorted(example - read) == [], "settings in deploy/anchor.env.example that nothing reads"


def _nginx_bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", value).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit.lower()]


def test_nginx_body_limit_matches_the_upload_limit_of_the_settings_and_the_example():
    conf = (DEPLOY / "nginx" / "anchor.conf").read_text(encoding="utf-8")
    limit = _nginx_bytes(re.search(r"^\s*client_max_body_size\s+(\S+);", conf, re.M)[1])
    assert limit == project_settings.ANCHOR_MAX_UPLOAD_BYTES > project_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limit == int(settings_in_the_example()["ANCHOR_MAX_UPLOAD_BYTES"])
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf  # SECURE_PROXY_SSL_HEADER relies on it
    # the client's address and the request id, believed from ANCHOR_TRUSTED_PROXIES only
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    assert "proxy_set_header X-Request-ID $request_id;" in conf


def _exec_start(unit: str) -> str:
    text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8").replace("\\\n", " ")
    return re.search(r"^ExecStart=(.*)$", text, re.M)[1]


@pytest.mark.parametrize("unit, queue, pool", [
    pytest.param("anchor-worker.service", "default", "prefork", id="default"),
    pytest.param("anchor-worker-llm@.service", "llm", "solo", id="llm"),
])
def test_worker_units_consume_the_queues_the_tasks_are_routed_to(unit, queue, pool):
    command = _exec_start(unit)
    assert f" -Q {queue} " in command and f"--pool={pool}" in command
    routed = {route["queue"] for route in project_settings.CELERY_TASK_ROUTES.values()}
    assert queue in routed | {project_settings.CELERY_TASK_DEFAULT_QUEUE}


def test_every_file_the_units_and_compose_name_exists():
    for unit in ("anchor-web.service", "anchor-backup.service"):
        for path in re.findall(r"deploy/\S+", _exec_start(unit)):
            assert (REPO / path).exists(), path
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    example = settings_in_the_example()
    for name, service in compose["services"].items():
        for key in service.get("environment", {}) if "build" in service else ():
            assert key in example, f"{name}: {key}"
    assert compose["services"]["worker-llm"]["command"][4:6] == ["-Q", "llm"]
    assert (REPO / compose["x-anchor"]["build"]["context"].replace("..", ".") / "deploy" / "Dockerfile").exists()
