"""Encrypt the edited material that content-edit robustness raters stored in plain JSON
(``Rater.perturbation["edits"]``), like target texts. Backwards: the plain texts again."""

from django.db import migrations

from ratings.encryption import perturbation_decrypted, perturbation_encrypted


def _each(apps, schema_editor, convert):
    Rater = apps.get_model("ratings", "Rater")
    for rater in Rater.objects.using(schema_editor.connection.alias).filter(perturbation__has_key="edits"):
        rater.perturbation = convert(rater.perturbation)
        rater.save(update_fields=["perturbation"])


def encrypt_edits(apps, schema_editor):
    _each(apps, schema_editor, perturbation_encrypted)


def decrypt_edits(apps, schema_editor):
    _each(apps, schema_editor, perturbation_decrypted)


class Migration(migrations.Migration):
    dependencies = [("ratings", "0009_scoring_tasks_and_worker_heartbeats")]

    operations = [migrations.RunPython(encrypt_edits, decrypt_edits)]
