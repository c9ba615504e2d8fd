"""Study manager pages and the assignment design behind them."""

import pytest

from ratings.encryption import perturbation_decrypted
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from ratings.models import Assignment, Rater, ScoringJob, Study, Target
from ratings.services.assignment_design import plan_assignments


@pytest.mark.parametrize(("n_targets", "n_raters", "k", "overlap"), [(14, 3, 2, 4), (10, 4, 1, 0), (7, 2, 2, 0)])
def test_plan_gives_k_raters_per_target_balanced_with_a_common_set(n_targets, n_raters, k, overlap):
    plan = plan_assignments(target_ids=range(n_targets), rater_names=[f"r{i}" for i in range(n_raters)],
                            per_target=k, overlap=overlap, seed=3)
    common = [raters for raters in plan.pairs if len(raters) == n_raters]
    assert len(common) >= overlap
    assert all(len(raters) in (k, n_raters) for raters in plan.pairs)
    assert max(plan.load()) - min(plan.load()) <= 1  # balanced across raters
    shared = plan.shared()
    assert [shared[i][i] for i in range(n_raters)] == plan.load()
    assert plan == plan_assignments(target_ids=range(n_targets), rater_names=[f"r{i}" for i in range(n_raters)],
                                    per_target=k, overlap=overlap, seed=3)  # the preview is what is committed


@pytest.mark.parametrize(("k", "overlap", "message"), [(0, 0, "between 1 and"), (4, 0, "between 1 and"),
                                                        (2, 99, "overlap set")])
def test_impossible_designs_are_refused(k, overlap, message):
    with pytest.raises(ValueError, match=message):
        plan_assignments(target_ids=range(5), rater_names=["a", "b", "c"], per_target=k, overlap=overlap)


@pytest.fixture
def manager(django_user_model, engagement):
    user = django_user_model.objects.create_user(username="mia", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="add_study"))
    return user


TARGETS = b"id,text,criterion:motivation\nT1,Client: yes.,4\nT2,Client: no.,2\nT3,Client: maybe.,3\nT4,Client: ok.,5\n"


def test_a_rater_cannot_reach_manager_pages(db, client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="rita"))
    assert client.get("/manage/").status_code == 403


def test_manager_creates_a_study_with_targets(manager, client, engagement):
    client.force_login(manager)
    response = client.post("/manage/", {"slug": "pilot", "title": "Pilot", "instruments": [engagement.pk],
                                        "targets": SimpleUploadedFile("t.csv", TARGETS)})
    assert response.status_code == 302 and response.url == "/manage/pilot/"
    study = Study.objects.get(slug="pilot")
    assert study.created_by == manager and list(study.instrument_versions.all()) == [engagement]
    assert study.targets.count() == 4
    page = client.get("/manage/pilot/").content.decode()
    assert "4 targets created" in page
    assert 'href="/studies/pilot/report/"' in page and 'href="/manage/pilot/scale-development/"' in page


def test_a_bad_upload_creates_no_study_and_names_the_rows(manager, client, engagement):
    client.force_login(manager)
    bad = b"id,text\nT1,Client: yes.\nT2,\nT1,again\n"
    response = client.post("/manage/", {"slug": "pilot", "title": "Pilot", "instruments": [engagement.pk],
                                        "targets": SimpleUploadedFile("t.csv", bad)})
    page = response.content.decode()
    assert response.status_code == 400
    assert "line 3: target &#x27;T2&#x27;: `text` is missing or empty" in page and "line 4: id &#x27;T1&#x27; repeats line 2" in page
    assert not Study.objects.exists() and not Target.objects.exists()


def test_manager_invites_raters_previews_and_commits_a_design(manager, client, engagement):
    client.force_login(manager)
    client.post("/manage/", {"slug": "pilot", "title": "Pilot", "instruments": [engagement.pk],
                             "targets": SimpleUploadedFile("t.csv", TARGETS)})
    names = []
    for name in ("ann", "ben", "cat"):
        response = client.post("/manage/pilot/", {"action": "invite", "name": name})
        assert response.status_code == 200 and "no-store" in response["Cache-Control"]
        rater = Rater.objects.get(name__startswith=f"{name}-")
        assert f'<code id="invited-username">{rater.name}</code>' in response.content.decode()
        names.append(rater.name)
    design = {"instrument": engagement.pk, "raters": names, "per_target": 2, "overlap": 1, "seed": 0}
    preview = client.post("/manage/pilot/", design | {"action": "preview"}).content.decode()
    assert 'id="design-matrix"' in preview and not Assignment.objects.exists()
    client.post("/manage/pilot/", design | {"action": "commit"})
    assert Assignment.objects.count() == 3 + 3 * 2  # the common target by all three, the rest by two
    assert Rater.objects.get(name=names[0]).user.check_password("pw") is False


def test_another_managers_study_is_404(manager, client, django_user_model, engagement):
    Study.objects.create(slug="theirs", title="Theirs")
    client.force_login(manager)
    assert client.get("/manage/theirs/").status_code == 404


def test_manager_starts_llm_scoring_and_lands_on_the_progress_page(manager, client, engagement,
                                                                   django_capture_on_commit_callbacks):
    client.force_login(manager)
    client.post("/manage/", {"slug": "pilot", "title": "Pilot", "instruments": [engagement.pk],
                             "targets": SimpleUploadedFile("t.csv", TARGETS)})
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/manage/pilot/", {"action": "score", "instrument": engagement.pk})
    job = ScoringJob.objects.get()
    assert response.url == f"/jobs/{job.pk}/" and job.total == 4 and job.created_by == manager
    assert client.get(response.url).status_code == 200


def test_manager_starts_a_robustness_run_and_a_bad_edits_file_is_refused_by_row(manager, client, engagement,
                                                                                django_capture_on_commit_callbacks):
    client.force_login(manager)
    client.post("/manage/", {"slug": "pilot", "title": "Pilot", "instruments": [engagement.pk],
                             "targets": SimpleUploadedFile("t.csv", TARGETS)})
    bad = SimpleUploadedFile("edits.csv", b"id,text\nT1,Client: no.\nT9,Client: no.\n")
    response = client.post("/manage/pilot/", {"action": "score", "instrument": engagement.pk,
                                              "perturbation": "edit_content", "edits": bad})
    assert response.status_code == 200 and b"line 3: &#x27;T9&#x27; is not a target of the study" in response.content
    assert not ScoringJob.objects.exists()
    good = SimpleUploadedFile("edits.jsonl", b'{"id": "T2", "text": "Client: yes, gladly."}\n')
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/manage/pilot/", {"action": "score", "instrument": engagement.pk,
                                                  "perturbation": "edit_content", "edits": good, "seed": 0})
    job = ScoringJob.objects.get()
    assert response.url == f"/jobs/{job.pk}/" and job.total == 1
    assert perturbation_decrypted(job.rater.perturbation)["edits"] == {"T2": "Client: yes, gladly."}
    assert job.rater.perturbation["edits"]["T2"].startswith("fernet:")  # stored encrypted
