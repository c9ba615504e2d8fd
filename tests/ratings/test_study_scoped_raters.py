"""Rater ids in a file belong to the study: the same id in two studies is two raters; per-target
ids make every (target, label) its own rater and the design one-way."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command

from ratings.models import Rater, Rating, Study
from ratings.selectors import study_item_scores
from ratings.services import study_get_or_create, study_use_instrument
from ratings.services.assignment_design import assignments_commit, plan_assignments

HEADER = "target_id,rater_id,item,score\n"


def _csv(*rows):
    return HEADER + "".join(",".join(map(str, r)) + "\n" for r in rows)


@pytest.fixture
def two_studies(engagement, write_file):
    for slug in ("a", "b"):
        call_command("import_targets", slug, str(write_file(f"{slug}.csv", "id,text\nP1,x\nP2,y\n")))
        study_use_instrument(study=study_get_or_create(slug=slug)[0], version=engagement)
    return Study.objects.get(slug="a"), Study.objects.get(slug="b")


def test_two_studies_with_the_same_rater_id_have_two_raters(two_studies, write_file):
    a, b = two_studies
    rows = write_file("r.csv", _csv(("P1", "R1", "participation", 4), ("P2", "R1", "participation", 2)))
    call_command("import_ratings", "a", str(rows))
    call_command("import_ratings", "b", str(rows))
    r1s = list(Rater.objects.filter(name="R1").order_by("study__slug"))
    assert [r.study for r in r1s] == [a, b] and r1s[0].pk != r1s[1].pk
    assert set(Rating.objects.filter(rater=r1s[0]).values_list("target__study__slug", flat=True)) == {"a"}
    assert set(Rating.objects.filter(rater=r1s[1]).values_list("target__study__slug", flat=True)) == {"b"}
    # re-importing into either study changes nothing and creates no third R1
    call_command("import_ratings", "a", str(rows))
    assert Rater.objects.filter(name="R1").count() == 2 and Rating.objects.count() == 4
    # every reader still names the rater by its id
    assert {row.rating.rater.name for row in study_item_scores(study=a)} == {"R1"}


def test_per_target_ids_are_raters_of_one_target_and_make_the_design_one_way(two_studies, write_file, capsys):
    a, _ = two_studies
    rows = write_file("peer.csv", _csv(("P1", "AnonReviewer1", "participation", 4),
                                       ("P1", "AnonReviewer2", "participation", 3),
                                       ("P2", "AnonReviewer1", "participation", 1)))
    call_command("import_ratings", "a", str(rows), "--rater-ids", "per-target")
    out = capsys.readouterr().out
    assert "3 raters created in study a" in out and "rating design: one-way" in out
    raters = {r.name: r for r in Rater.objects.filter(study=a)}
    assert set(raters) == {"P1/AnonReviewer1", "P1/AnonReviewer2", "P2/AnonReviewer1"}
    assert raters["P2/AnonReviewer1"].target.external_id == "P2"
    assert Study.objects.get(slug="a").rating_design == "one-way"
    call_command("import_ratings", "a", str(rows), "--rater-ids", "per-target")
    assert "0 ratings created, 0 updated, 3 unchanged" in capsys.readouterr().out


def test_per_target_ids_contradicting_a_crossed_declaration_are_refused(two_studies, write_file):
    call_command("set_rating_design", "b", "crossed")
    with pytest.raises(CommandError, match="study b is declared crossed .* per-target rater ids make every rater "
                                           "rate one target"):
        call_command("import_ratings", "b", str(write_file("p.csv", _csv(("P1", "R1", "participation", 4)))),
                     "--rater-ids", "per-target")
    assert Study.objects.get(slug="b").rating_design == "crossed" and not Rating.objects.exists()
    # a per-target file refused for a bad row leaves an undeclared study undeclared (one transaction)
    with pytest.raises(CommandError, match="line 2: target 'P9' is not in study a"):
        call_command("import_ratings", "a", str(write_file("q.csv", _csv(("P9", "R1", "participation", 4)))),
                     "--rater-ids", "per-target")
    assert Study.objects.get(slug="a").rating_design == "" and not Rater.objects.filter(study__slug="a").exists()


def test_an_account_holder_keeps_rating_under_the_account_and_a_namesake_elsewhere_is_another_rater(
        two_studies, write_file, django_user_model, engagement):
    a, b = two_studies
    user = django_user_model.objects.create_user(username="alice")
    alice = Rater.objects.create(name="alice", kind="human", user=user)
    assignments_commit(plan=plan_assignments(target_ids=[a.targets.get(external_id="P2").pk], rater_names=["alice"],
                                             per_target=1), version=engagement)
    rows = write_file("r.csv", _csv(("P1", "alice", "participation", 4)))
    call_command("import_ratings", "a", str(rows))  # alice is assigned in a: her account's rater
    call_command("import_ratings", "b", str(rows))  # nobody named alice works on b: b's own alice
    assert Rating.objects.get(target__study=a).rater == alice
    assert Rating.objects.get(target__study=b).rater.study == b
    # the account cannot then be assigned in b, where the name is taken
    with pytest.raises(ValueError, match="the study has imported raters named alice"):
        assignments_commit(plan=plan_assignments(target_ids=[b.targets.get(external_id="P2").pk],
                                                 rater_names=["alice"], per_target=1), version=engagement)


def test_the_migration_splits_a_rater_merged_across_studies(two_studies, engagement):
    a, b = two_studies
    merged = Rater.objects.create(name="AnonReviewer1", kind="human")  # as imports made it before
    for study in (a, b):
        Rating.objects.create(rater=merged, target=study.targets.get(external_id="P1"), instrument_version=engagement,
                              source="import")
    account = Rater.objects.create(name="kept", kind="human")
    Rating.objects.create(rater=account, target=a.targets.get(external_id="P2"), instrument_version=engagement,
                          source="form")
    migration = importlib.import_module("ratings.migrations.0008_rater_study_scope_job_subset")
    migration.scope_imported_raters(django_apps, None)
    per_study = {r.study.slug: r for r in Rater.objects.filter(name="AnonReviewer1")}
    assert set(per_study) == {"a", "b"}
    for slug, rater in per_study.items():
        assert list(Rating.objects.filter(rater=rater).values_list("target__study__slug", flat=True)) == [slug]
    assert Rater.objects.get(name="kept").study is None  # a form rating: not an imported rater


def test_deleting_a_study_deletes_its_own_raters(two_studies, write_file):
    a, b = two_studies
    rows = write_file("r.csv", _csv(("P1", "R1", "participation", 4)))
    call_command("import_ratings", "a", str(rows))
    call_command("import_ratings", "b", str(rows))
    a.delete()
    assert list(Rater.objects.values_list("study__slug", flat=True)) == ["b"] and Rating.objects.count() == 1
