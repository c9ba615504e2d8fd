"""Literature papers get a `date` (YYYY, YYYY-MM or YYYY-MM-DD; the old year becomes the date)
and a content hash (the retrieval index is keyed by the corpus's hashes); pipeline artefacts'
`data` and `gate` are encrypted at rest (existing rows re-written encrypted).
Backwards: the plain JSON comes back."""

from django.db import migrations, models

import novelty.fields
from novelty.models import paper_sha256

BATCH = 500


def dates_and_hashes(apps, schema_editor):
    Paper = apps.get_model("novelty", "LiteraturePaper")
    papers = list(Paper.objects.using(schema_editor.connection.alias).order_by("pk"))
    for paper in papers:
        paper.date = str(paper.year)
        paper.content_sha256 = paper_sha256(external_id=paper.external_id, title=paper.title,
                                            abstract=paper.abstract, date=paper.date)
    Paper.objects.bulk_update(papers, ["date", "content_sha256"], batch_size=BATCH)


def seal(apps, schema_editor):
    Artefact = apps.get_model("novelty", "PipelineArtefact")
    rows = list(Artefact.objects.using(schema_editor.connection.alias).order_by("pk"))
    for row in rows:
        row.sealed_data, row.sealed_gate = row.data, row.gate
    Artefact.objects.bulk_update(rows, ["sealed_data", "sealed_gate"], batch_size=BATCH)


def unseal(apps, schema_editor):
    Artefact = apps.get_model("novelty", "PipelineArtefact")
    rows = list(Artefact.objects.using(schema_editor.connection.alias).order_by("pk"))
    for row in rows:
        row.data, row.gate = row.sealed_data, row.sealed_gate
    Artefact.objects.bulk_update(rows, ["data", "gate"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("novelty", "0001_literature_and_artefacts")]

    operations = [
        migrations.AddField(
            model_name="literaturepaper", name="date",
            field=models.CharField(default="", help_text="YYYY, YYYY-MM or YYYY-MM-DD (publication or submission)",
                                   max_length=10),
            preserve_default=False),
        migrations.AddField(
            model_name="literaturepaper", name="content_sha256",
            field=models.CharField(blank=True, editable=False, max_length=64)),
        migrations.AlterField(
            model_name="literaturepaper", name="year",
            field=models.PositiveIntegerField(help_text="the year of `date`")),
        migrations.RunPython(dates_and_hashes, migrations.RunPython.noop),
        migrations.AddField(model_name="pipelineartefact", name="sealed_data",
                            field=novelty.fields.EncryptedJSONField(null=True)),
        migrations.AddField(model_name="pipelineartefact", name="sealed_gate",
                            field=novelty.fields.EncryptedJSONField(null=True)),
        migrations.RunPython(seal, unseal),
        migrations.RemoveField(model_name="pipelineartefact", name="data"),
        migrations.RemoveField(model_name="pipelineartefact", name="gate"),
        migrations.RenameField(model_name="pipelineartefact", old_name="sealed_data", new_name="data"),
        migrations.RenameField(model_name="pipelineartefact", old_name="sealed_gate", new_name="gate"),
        migrations.AlterField(
            model_name="pipelineartefact", name="data",
            field=novelty.fields.EncryptedJSONField(help_text="encrypted at rest (ANCHOR_ENCRYPTION_KEYS)")),
        migrations.AlterField(
            model_name="pipelineartefact", name="gate",
            field=novelty.fields.EncryptedJSONField(
                blank=True, default=dict,
                help_text='{"name": ..., "checks": [...], "kept": n, "dropped": n, "dropped_by_reason": {...}, '
                          '"dropped_items": [...]} (encrypted)')),
    ]
