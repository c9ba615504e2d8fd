from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("instruments", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="instrumentversion",
            name="kind",
            field=models.CharField(choices=[("scale", "Scale"), ("pipeline", "Pipeline"), ("coding", "Coding")],
                                   max_length=16),
        ),
    ]
