from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0001_report_run"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportrun",
            name="html",
            field=models.TextField(blank=True, help_text="the rendered page (tables and plots), rendered once with the result so that a view does not draw the plots again"),
        ),
    ]
