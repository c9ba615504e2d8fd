from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("ratings", "0006_rater_perturbation"),
    ]

    operations = [
        migrations.AddField(
            model_name="study",
            name="rating_design",
            field=models.CharField(
                blank=True,
                choices=[
                    ("crossed", "crossed (the same raters rate the targets; gaps allowed)"),
                    ("one-way", "one-way (each target is rated by its own interchangeable raters)"),
                ],
                help_text="how raters are laid over targets; blank: the report infers it from the ratings",
                max_length=16,
            ),
        ),
    ]
