"""Migration 0002 on rows stored before it: papers get their year as date and a content hash;
artefacts stored as plain JSON are encrypted, and read back the same."""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from instruments.services import instrument_load
from ratings.models import Rater, Rating
from ratings.services import study_get_or_create, targets_import
from ratings.tabular import read_rows

pytestmark = pytest.mark.django_db(transaction=True)
CLAIMS = {"claims": [{"claim": "PAPER-SECRET claim", "kind": "method"}]}


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


def test_old_rows_are_dated_hashed_and_encrypted(builtin_text):
    version = instrument_load(text=builtin_text("novelty-assessment")).version
    study, _ = study_get_or_create(slug="old-novelty")
    targets_import(study=study, rows=read_rows("id,text\nP1,An abstract.\n", "csv"), fmt="csv")
    rater = Rater.objects.create(name="llm-old", kind=Rater.Kind.LLM)
    rating = Rating.objects.create(rater=rater, target=study.targets.get(), instrument_version=version, source="llm")
    _migrate([("novelty", "0001_literature_and_artefacts")])
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO novelty_literaturepaper (study_id, external_id, title, abstract, year, venue, "
                       "created_at) VALUES (%s, 'L1', 'Tides', 'Forecasting tides.', 2019, '', CURRENT_TIMESTAMP)",
                       [study.pk])
        cursor.execute("INSERT INTO novelty_pipelineartefact (rating_id, stage, position, data, tokens_evaluated, gate) "
                       "VALUES (%s, 'claims', 0, %s, 5, %s)",
                       [rating.pk, json.dumps(CLAIMS), json.dumps({"kept": 1, "dropped_items": ["PAPER-SECRET"]})])
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    from novelty.models import LiteraturePaper, PipelineArtefact, paper_sha256

    paper = LiteraturePaper.objects.get()
    assert (paper.date, paper.year) == ("2019", 2019)
    assert paper.content_sha256 == paper_sha256(external_id="L1", title="Tides", abstract="Forecasting tides.",
                                                date="2019")
    artefact = PipelineArtefact.objects.get()
    assert artefact.data == CLAIMS and artefact.gate["dropped_items"] == ["PAPER-SECRET"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT data, gate FROM novelty_pipelineartefact")
        data, gate = cursor.fetchone()
    assert data.startswith("fernet:") and gate.startswith("fernet:") and "PAPER-SECRET" not in data + gate
