"""The worker's llama.cpp thread count and OpenMP wait policy (ratings/llm/threads.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ratings.llm import get_backend, threads
from ratings.llm.errors import LlmPermanentError
from ratings.llm.threads import choose_threads, parse_threads_setting, physical_core_count

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("cpus", "load", "cores", "expected"), [
    pytest.param(2, 0.0, 2, 2, id="idle-2-cores"),
    pytest.param(2, 0.49, 2, 2, id="nearly-idle"),
    pytest.param(2, 0.5, 2, 2, id="half-a-core-busy-rounds-up"),
    pytest.param(2, 0.6, 2, 1, id="one-core-busy"),
    pytest.param(2, 3.8, 2, 1, id="overloaded-at-least-one"),
    pytest.param(8, 2.0, 8, 6, id="eight-cpus-two-busy"),
    pytest.param(16, 0.0, 8, 8, id="hyperthreads-count-once"),
    pytest.param(4, -1.0, 4, 4, id="negative-load-is-idle"),
    pytest.param(1, 0.0, 1, 1, id="one-cpu"),
])
def test_auto_takes_the_free_cores_at_least_one_at_most_physical(cpus, load, cores, expected):
    assert choose_threads(cpus=cpus, load_average=load, physical_cores=cores) == expected


def test_a_machine_without_cpus_is_refused():
    with pytest.raises(ValueError, match="at least one CPU"):
        choose_threads(cpus=0, load_average=0.0, physical_cores=0)


def _topology(root: Path, cpu: int, package: int, core: int) -> None:
    folder = root / f"cpu{cpu}" / "topology"
    folder.mkdir(parents=True)
    (folder / "physical_package_id").write_text(f"{package}\n")
    (folder / "core_id").write_text(f"{core}\n")


def test_physical_cores_count_hyperthread_siblings_once(tmp_path):
    for cpu in range(4):  # cpus 0/2 and 1/3 are siblings of one core each
        _topology(tmp_path, cpu, 0, cpu % 2)
    _topology(tmp_path, 4, 1, 0)  # a second package: a core of its own
    assert physical_core_count(range(5), tmp_path) == 3
    assert physical_core_count([0, 2], tmp_path) == 1  # an affinity mask of one core's siblings


def test_physical_cores_fall_back_to_the_cpu_count_without_topology(tmp_path):
    assert physical_core_count([0, 1, 5], tmp_path) == 3


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param("auto", "auto", id="auto"),
    pytest.param(" AUTO ", "auto", id="auto-any-case"),
    pytest.param("1", 1, id="one"),
    pytest.param(3, 3, id="an-int"),
])
def test_the_setting_is_auto_or_a_positive_number(value, expected):
    assert parse_threads_setting(value) == expected


@pytest.mark.parametrize("value", ["0", "-2", "two", "", "1.5"])
def test_a_bad_setting_says_what_is_allowed(value):
    with pytest.raises(LlmPermanentError, match="ANCHOR_LLM_THREADS"):
        parse_threads_setting(value)


def test_auto_is_decided_once_per_process(monkeypatch):
    threads.auto_threads.cache_clear()
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    first = threads.auto_threads()
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (1000.0, 0.0, 0.0))
    assert threads.auto_threads() == first  # the same loaded model for every task
    threads.auto_threads.cache_clear()
    assert threads.auto_threads() == 1
    threads.auto_threads.cache_clear()


def test_the_thread_count_reaches_llama_cpp(monkeypatch):
    import llama_cpp

    monkeypatch.setattr(threads, "auto_threads", lambda: 1)
    backend = get_backend("llama_cpp", n_ctx=256, n_threads="auto")
    assert backend.model.settings.n_threads == 1
    assert llama_cpp.llama_n_threads(backend.model.llm._ctx.ctx) == 1
    assert llama_cpp.llama_n_threads_batch(backend.model.llm._ctx.ctx) == 1


def _run(code: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    environment.update(env)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=300, check=True)
    return result.stdout.strip()


WAIT_POLICY_AT_LOAD = """
import os
from ratings.llm import get_backend
before = [line for line in open("/proc/self/maps") if "libgomp" in line]
get_backend("llama_cpp", n_ctx=256, n_threads=1)
after = [line for line in open("/proc/self/maps") if "libgomp" in line]
print(len(before), len(after) > 0, os.environ.get("OMP_WAIT_POLICY"))
"""


def test_openmp_sleeps_when_the_model_loads_and_libgomp_reads_it_then():
    before, loaded, policy = _run(WAIT_POLICY_AT_LOAD).split()
    assert before == "0" and loaded == "True"  # libgomp comes with llama.cpp, after the policy
    assert policy == "PASSIVE"


def test_the_celery_app_sets_the_wait_policy_and_an_explicit_one_is_kept():
    code = "import config.celery, os; print(os.environ.get('OMP_WAIT_POLICY'))"
    assert _run(code, DJANGO_SETTINGS_MODULE="config.settings") == "PASSIVE"
    assert _run(code, DJANGO_SETTINGS_MODULE="config.settings",
                OMP_WAIT_POLICY="ACTIVE") == "ACTIVE"


@pytest.mark.parametrize(("setting", "expected"), [
    pytest.param("1", 1, id="a-number"),
    pytest.param("auto", 1, id="auto-on-a-busy-machine"),
])
def test_the_worker_setting_is_honoured(settings, monkeypatch, setting, expected):
    from ratings.llm_settings import backend_for_rater
    from ratings.models import Rater

    threads.auto_threads.cache_clear()
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (64.0, 64.0, 64.0))
    settings.ANCHOR_LLM_BACKEND, settings.ANCHOR_LLM_N_CTX = "llama_cpp", 256
    settings.ANCHOR_LLM_THREADS = setting
    backend = backend_for_rater(Rater(name="llm", model_path="", decoding={}))
    threads.auto_threads.cache_clear()
    assert backend.model.settings.n_threads == expected
