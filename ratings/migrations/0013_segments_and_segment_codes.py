import django.db.models.deletion
from django.db import migrations, models

import ratings.fields


class Migration(migrations.Migration):

    dependencies = [
        ("ratings", "0012_rater_invited_by_password_change"),
    ]

    operations = [
        migrations.CreateModel(
            name="Segment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("external_id", models.CharField(max_length=200)),
                ("position", models.PositiveIntegerField(help_text="order within the target, from 0")),
                ("speaker", models.CharField(max_length=100)),
                ("text", ratings.fields.EncryptedTextField(help_text="encrypted at rest (ANCHOR_ENCRYPTION_KEYS)")),
                ("text_sha256", ratings.fields.ContentHashField(blank=True, editable=False, max_length=64,
                                                                source="text")),
                ("target", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="segments",
                                             to="ratings.target")),
            ],
            options={
                "ordering": ["target", "position"],
                "constraints": [
                    models.UniqueConstraint(fields=("target", "external_id"), name="unique_segment_id_per_target"),
                    models.UniqueConstraint(fields=("target", "position"), name="unique_segment_position_per_target"),
                ],
            },
        ),
        migrations.CreateModel(
            name="SegmentCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code_set", models.CharField(max_length=64)),
                ("code", models.CharField(max_length=64)),
                ("distribution", models.JSONField(blank=True, help_text='{"reflection": 0.7, "question": 0.2, ...}',
                                                  null=True)),
                ("rating", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                             related_name="segment_codes", to="ratings.rating")),
                ("segment", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="codes",
                                              to="ratings.segment")),
            ],
            options={
                "ordering": ["rating", "segment__position", "code_set"],
                "constraints": [
                    models.UniqueConstraint(fields=("rating", "segment", "code_set"), name="unique_segment_code"),
                ],
            },
        ),
    ]
