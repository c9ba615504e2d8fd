from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    dependencies = [
        ("ratings", "0011_sampling_plan"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="rater",
            name="invited_by",
            field=models.ForeignKey(blank=True, help_text="the study manager whose rater pool this rater is in",
                                    null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                                    to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name="rater",
            name="password_change_required",
            field=models.BooleanField(default=False, help_text="an invited rater signs in with a one-time password "
                                                               "and must choose their own"),
        ),
    ]
