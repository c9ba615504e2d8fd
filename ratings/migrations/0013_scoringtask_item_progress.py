from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("ratings", "0012_rater_invited_by_password_change"),
    ]

    operations = [
        migrations.AddField(
            model_name="scoringtask",
            name="started_at",
            field=models.DateTimeField(blank=True, help_text="when the current attempt took the lease", null=True),
        ),
        migrations.AddField(
            model_name="scoringtask",
            name="items_done",
            field=models.PositiveIntegerField(default=0, help_text="items read so far by the current attempt"),
        ),
        migrations.AddField(
            model_name="scoringtask",
            name="items_total",
            field=models.PositiveIntegerField(default=0, help_text="items to read (x windows); 0: not yet known"),
        ),
        migrations.AddField(
            model_name="scoringtask",
            name="progress_at",
            field=models.DateTimeField(blank=True, help_text="when items_done was last written", null=True),
        ),
    ]
