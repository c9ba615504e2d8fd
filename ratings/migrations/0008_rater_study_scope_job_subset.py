"""Raters named in imported files belong to their study; scoring jobs may cover a subset.

Until now a rater name was unique in the whole installation, so two studies whose files both
said ``R1`` shared one rater (one import merged 186 reviewers into ``AnonReviewer1``). Existing
data is moved: a human rater without an account whose every rating came from a file becomes a
rater of its study; one whose imported ratings span several studies is split, one rater per
study, each keeping its study's ratings. Account holders and LLM raters stay installation-wide.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q


def scope_imported_raters(apps, schema_editor):
    Rater = apps.get_model("ratings", "Rater")
    Rating = apps.get_model("ratings", "Rating")
    Assignment = apps.get_model("ratings", "Assignment")
    candidates = Rater.objects.filter(kind="human", user__isnull=True, study__isnull=True)
    for rater in candidates.iterator():
        ratings = Rating.objects.filter(rater=rater)
        if not ratings.exists() or ratings.exclude(source="import").exists() \
                or Assignment.objects.filter(rater=rater).exists():
            continue
        study_ids = sorted(set(ratings.values_list("target__study_id", flat=True)))
        rater.study_id = study_ids[0]
        rater.save(update_fields=["study"])
        for study_id in study_ids[1:]:
            copy = Rater.objects.create(name=rater.name, kind=rater.kind, study_id=study_id)
            ratings.filter(target__study_id=study_id).update(rater=copy)


class Migration(migrations.Migration):

    dependencies = [
        ("ratings", "0007_study_rating_design"),
    ]

    operations = [
        migrations.AddField(
            model_name="rater",
            name="study",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="raters",
                to="ratings.study",
                help_text="set for a rater an imported file named: its id is a label in this study"),
        ),
        migrations.AddField(
            model_name="rater",
            name="target",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                to="ratings.target",
                help_text="set when the file's ids were per-target labels: this rater is one (target, label) "
                          "and rated this target only"),
        ),
        migrations.AlterField(
            model_name="rater",
            name="name",
            field=models.CharField(max_length=320),
        ),
        migrations.AddField(
            model_name="scoringjob",
            name="subset",
            field=models.JSONField(
                blank=True, null=True,
                help_text='a subset of the targets: {"target_pks": [...], "sample": {"n", "seed"} or null}; '
                          "empty: every target"),
        ),
        migrations.AlterField(
            model_name="rating",
            name="rater",
            field=models.ForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name="ratings",
                                    to="ratings.rater"),
        ),
        migrations.RunPython(scope_imported_raters, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="rater",
            constraint=models.UniqueConstraint(condition=Q(study__isnull=True), fields=("name",),
                                               name="unique_global_rater_name"),
        ),
        migrations.AddConstraint(
            model_name="rater",
            constraint=models.UniqueConstraint(condition=Q(study__isnull=False), fields=("study", "name"),
                                               name="unique_rater_name_per_study"),
        ),
        migrations.AddConstraint(
            model_name="rater",
            constraint=models.CheckConstraint(condition=Q(study__isnull=True) | Q(user__isnull=True),
                                              name="study_rater_has_no_account"),
        ),
        migrations.AddConstraint(
            model_name="rater",
            constraint=models.CheckConstraint(condition=Q(target__isnull=True) | Q(study__isnull=False),
                                              name="per_target_rater_has_study"),
        ),
    ]
