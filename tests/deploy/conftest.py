"""Fixtures for the deployment tests: a migrated template database for fresh copies."""

import pytest

from .stack import drop_database, migrated_template


@pytest.fixture(scope="session")
def pg_template(tmp_path_factory):
    name = migrated_template(tmp_path_factory.mktemp("template-var"))
    yield name
    drop_database(name)
