"""Fixtures for the deployment tests: a migrated template database for fresh copies."""

import pytest

from .stack import drop_database, migrated_template

# The fake-model Celery app swaps the LLM backend for the whole process when imported: it is a
# worker's module (celery -A tests.deploy.fake_model_worker), never one for --doctest-modules to
# import into the test process, where every later test would score with the fake.
collect_ignore = ["fake_model_worker.py"]


@pytest.fixture(scope="session")
def pg_template(tmp_path_factory):
    name = migrated_template(tmp_path_factory.mktemp("template-var"))
    yield name
    drop_database(name)
