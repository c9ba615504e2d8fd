"""Encrypt the texts stored before encryption, and fill in their content hashes.

Reading through the field returns plain text for both old (plain) and new (encrypted) rows;
writing encrypts with the first configured key. Backwards: write the plain texts back."""

from django.db import migrations

from ratings.fields import content_sha256

BATCH = 500


def encrypt_texts(apps, schema_editor):
    Target = apps.get_model("ratings", "Target")
    targets = Target.objects.using(schema_editor.connection.alias).order_by("pk")
    batch = []
    for target in targets.iterator(BATCH):
        target.text_sha256 = content_sha256(target.text) if target.text else ""
        batch.append(target)
        if len(batch) == BATCH:
            Target.objects.bulk_update(batch, ["text", "text_sha256"])
            batch = []
    if batch:
        Target.objects.bulk_update(batch, ["text", "text_sha256"])


def decrypt_texts(apps, schema_editor):
    Target = apps.get_model("ratings", "Target")
    rows = [(t.text, t.pk) for t in Target.objects.using(schema_editor.connection.alias).iterator(BATCH)]
    with schema_editor.connection.cursor() as cursor:
        cursor.executemany("UPDATE ratings_target SET text = %s WHERE id = %s", rows)


class Migration(migrations.Migration):
    dependencies = [("ratings", "0004_target_text_encrypted")]

    operations = [migrations.RunPython(encrypt_texts, decrypt_texts)]
