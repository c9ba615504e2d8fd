"""A small run of bench/deploy_load.py: raters submitting forms while clients submit batches
(each retried with its Idempotency-Key) against gunicorn and PostgreSQL. Every accepted
submission is stored exactly once; no timing is asserted."""

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[2] / "bench" / "deploy_load.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("deploy_load", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_concurrent_forms_and_batches_are_each_stored_exactly_once():
    result = load_bench().run_load(raters=10, clients=3, seconds=6, baseline_seconds=2, targets=20)
    checks = result["checks"]
    assert result["first_errors"] == [] and checks["errors"] == 0
    assert checks["forms_accepted"] > 10 and checks["batches_accepted"] > 1
    assert checks["forms_stored"] == checks["forms_accepted"] and checks["forms_match"] and checks["forms_complete"]
    assert checks["batches_stored"] == checks["batches_accepted"] and checks["batches_match"]
    assert checks["batches_complete"] and checks["retries_returned_another_job"] == 0
    assert checks["stored_forms_without_audit_event"] == 0 and checks["stored_batches_without_audit_event"] == 0
    assert checks["connection_errors"] == 0
