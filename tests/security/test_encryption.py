"""Target texts are encrypted at rest; keys rotate; imports still see changed text."""

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ratings.encryption import DecryptionError, derived_key
from ratings.fields import content_sha256
from ratings.models import Target
from ratings.services import study_get_or_create, targets_import
from ratings.services.encryption_keys import stored_texts
from ratings.tabular import ImportRejected, read_rows

TEXT = "Client: I feel watched. PATIENT-SECRET-42"
K1, K2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _import(study, text=TEXT, target_id="T1"):
    return targets_import(study=study, rows=read_rows(f'id,text\n{target_id},"{text}"\n', "csv"), fmt="csv")


@pytest.fixture
def study(db):
    return study_get_or_create(slug="enc")[0]


def _raw(target) -> str:
    return dict(stored_texts([target.pk]))[target.pk]


def test_the_text_is_stored_encrypted_and_read_back_plain(study, settings):
    settings.ANCHOR_ENCRYPTION_KEYS = [K1]
    _import(study)
    target = Target.objects.get()
    raw = _raw(target)
    assert raw.startswith("fernet:") and "PATIENT-SECRET" not in raw
    assert Fernet(K1).decrypt(raw.removeprefix("fernet:").encode()).decode() == TEXT
    assert target.text == TEXT and target.text_sha256 == content_sha256(TEXT)


def test_reimport_is_unchanged_and_changed_text_is_still_refused(study, settings):
    settings.ANCHOR_ENCRYPTION_KEYS = [K1]
    _import(study)
    assert _import(study).unchanged == 1
    with pytest.raises(ImportRejected, match="already exists with different text"):
        _import(study, text=TEXT + " edited")
    settings.ANCHOR_ENCRYPTION_KEYS = [K2, K1]  # a rotated key does not change the hash
    assert _import(study).unchanged == 1


def test_rotation_new_key_first_then_reencrypt_then_drop_the_old(study, settings, capsys):
    settings.ANCHOR_ENCRYPTION_KEYS = [K1]
    _import(study)
    _import(study, text="Client: second.", target_id="T2")
    settings.ANCHOR_ENCRYPTION_KEYS = [K2, K1]
    assert sorted(Target.objects.values_list("text", flat=True)) == sorted([TEXT, "Client: second."])
    call_command("rotate_encryption_key")
    assert "2 target text(s) re-encrypted with the first key, 0 already current" in capsys.readouterr().out
    call_command("rotate_encryption_key")
    assert "0 target text(s) re-encrypted with the first key, 2 already current" in capsys.readouterr().out
    settings.ANCHOR_ENCRYPTION_KEYS = [K2]
    assert Target.objects.get(external_id="T1").text == TEXT
    settings.ANCHOR_ENCRYPTION_KEYS = [K1]  # the old key alone no longer reads it
    with pytest.raises(DecryptionError, match="cannot be decrypted"):
        Target.objects.get(external_id="T1")


def test_without_a_key_the_secret_key_derives_one_and_deploy_checks_refuse(study, settings):
    settings.ANCHOR_ENCRYPTION_KEYS = []
    _import(study)
    raw = _raw(Target.objects.get())
    assert Fernet(derived_key(settings.SECRET_KEY)).decrypt(raw.removeprefix("fernet:").encode()).decode() == TEXT
    assert "anchor.E001" in [m.id for m in run_checks(include_deployment_checks=True)]
    settings.ANCHOR_ENCRYPTION_KEYS = [K1]
    assert "anchor.E001" not in [m.id for m in run_checks(include_deployment_checks=True)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_rows_stored_in_plain_text():
    executor = MigrationExecutor(connection)
    executor.migrate([("ratings", "0003_study_managers_batch")])
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO ratings_study (slug, title, description, created_at) "
                       "VALUES ('old', 'old', '', CURRENT_TIMESTAMP)")
        cursor.execute("INSERT INTO ratings_target (study_id, external_id, text, metadata, criteria, created_at) "
                       "SELECT id, 'T1', %s, '{}', '{}', CURRENT_TIMESTAMP FROM ratings_study WHERE slug = 'old'",
                       [TEXT])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    target = Target.objects.get(external_id="T1")
    assert _raw(target).startswith("fernet:") and target.text == TEXT
    assert target.text_sha256 == content_sha256(TEXT)
