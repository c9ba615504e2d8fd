"""Scale development on a study's LLM ratings of a pool: selection, publishing with provenance,
the command, and the published short scale loading and scoring like any instrument."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from instruments.definition import content_hash, load_definition, to_yaml
from instruments.models import InstrumentVersion
from instruments.selectors import instrument_version_get
from psychometrics.scale_development import SelectionRule
from ratings.models import ItemScore, Rating
from ratings.services.scoring import llm_rater_get_or_create, score_target, scoring_job_start
from scaledev.analysis import pool_version_for_study, scale_development_compute
from scaledev.services import short_scale_publish
from tests.ratings.fake_llm import FakeBackend

from .conftest import N_ITEMS, POOL_REVERSED, UNMARKED_REVERSED

FAST = {"n_repeats": 3, "n_boot": 30, "seed": 1}


@pytest.fixture
def development(pool_study):
    study, pool, _ = pool_study
    return scale_development_compute(study=study, pool_version=pool, cluster_field="patient",
                                      rule=SelectionRule(k=8, criterion="motivation"), **FAST)


def test_a_forty_item_pool_is_scored_by_the_usual_jobs(pool_study):
    study, pool, _ = pool_study
    assert pool.spec.pool and len(pool.spec.items) == N_ITEMS
    assert Rating.objects.filter(target__study=study, instrument_version=pool).count() == 300
    assert ItemScore.objects.filter(rating__target__study=study).count() == 300 * N_ITEMS


def test_the_true_items_are_selected_and_keyed(pool_study, development):
    _, _, true = pool_study
    result = development.result
    assert set(result.selected) == set(true)
    assert development.rater == "llm-pool" and result.n == 300 and result.n_clusters == 60
    # the pool's reverse flag keyed item_08 already; item_07 is keyed by its loading's sign
    assert result.keys[POOL_REVERSED] == 1 and result.keys[UNMARKED_REVERSED] == -1
    # the true items stand out, so selection is stable and its optimism small (the library
    # tests show the correction on pools where choosing items does inflate the figures)
    assert abs(result.optimism["r:motivation"]) < 0.03
    assert 0.3 < result.corrected["r:motivation"] < 0.6 and result.corrected["omega_total"] > 0.8


def test_the_published_short_scale_records_its_derivation(pool_study, development):
    study, pool, true = pool_study
    published = short_scale_publish(development=development)
    version = published.version
    assert published.created and str(version) == "engagement-pool-short@1.0.0"
    definition = version.definition
    derivation = definition["derivation"]
    assert derivation["pool"] == {"slug": "engagement-pool", "version": "1.0.0",
                                  "content_hash": pool.content_hash}
    assert derivation["study"] == study.slug and derivation["rater"] == "llm-pool"
    assert derivation["cluster_field"] == "patient" and derivation["n_clusters"] == 60
    assert derivation["rule"]["k"] == 8 and derivation["rule"]["criterion"] == "motivation"
    assert (derivation["k"], derivation["seed"], derivation["n_folds"], derivation["n_repeats"],
            derivation["n_boot"]) == (8, 1, 3, 3, 30)
    for block in ("apparent", "cross_validated", "optimism", "corrected"):
        assert set(derivation[block]) == {"omega_total", "alpha", "r:motivation"}
        assert derivation[block] == pytest.approx(getattr(development.result, block))
    assert [e["code"] for e in derivation["items"]] == list(development.result.selected)
    assert derivation["cfa_one_factor"]["df"] == 20 and derivation["cfa_one_factor"]["cfi"] > 0.9
    assert "pool" not in definition and version.kind == "scale"
    codes = [item["code"] for item in definition["items"]]
    assert sorted(codes) == sorted(true)
    reverse = {item["code"] for item in definition["items"] if item.get("reverse")}
    # item_08 keeps its pool flag (key +1 after pool keying); item_07 is reversed by its key -1
    assert reverse == {UNMARKED_REVERSED, POOL_REVERSED}
    # the provenance travels with the export and loads back to the same content
    assert content_hash(load_definition(to_yaml(definition))) == version.content_hash
    exported = io.StringIO()
    call_command("export_instrument", "engagement-pool-short@1.0.0", "--format", "yaml", stdout=exported)
    reloaded = load_definition(exported.getvalue())
    assert content_hash(reloaded) == version.content_hash
    assert reloaded["derivation"]["pool"]["content_hash"] == pool.content_hash
    again = short_scale_publish(development=development)
    assert not again.created and again.version.pk == version.pk


def test_the_short_scale_loads_and_scores(pool_study, development, django_capture_on_commit_callbacks):
    study, _, _ = pool_study
    version = short_scale_publish(development=development, slug="engagement-short", version="2.0.0").version
    assert instrument_version_get(reference="engagement-short@2.0.0") == version
    assert [s.code for s in version.spec.subscales] == ["total"] and len(version.spec.items) == 8
    with django_capture_on_commit_callbacks(execute=False):
        job = scoring_job_start(study=study, version=version, rater=llm_rater_get_or_create(name="llm-short"))
    target = study.targets.order_by("pk").first()
    score_target(job_id=job.pk, target_id=target.pk, backend=FakeBackend())
    assert Rating.objects.get(scoring_job=job).item_scores.count() == 8


def test_other_content_under_a_taken_version_is_refused_and_nothing_is_written(pool_study, development):
    study, pool, _ = pool_study
    short_scale_publish(development=development)
    other = scale_development_compute(study=study, pool_version=pool, cluster_field="patient",
                                      rule=SelectionRule(k=6, criterion="motivation"), **FAST)
    before = InstrumentVersion.objects.count()
    with pytest.raises(ValueError, match="already published with different content"):
        short_scale_publish(development=other)
    assert InstrumentVersion.objects.count() == before


def test_the_command_prints_the_selection_and_publishes(pool_study, capsys):
    study, _, true = pool_study
    call_command("develop_scale", study.slug, "--pool", "engagement-pool", "--criterion", "motivation",
                 "--cluster", "patient", "--k", "8", "--repeats", "2", "--boots", "10", "--publish",
                 "--slug", "engagement-k8")
    out = capsys.readouterr().out
    assert "selected k = 8 (given)" in out and "r:motivation" in out and "one-factor CFA (apparent" in out
    assert "published: engagement-k8@1.0.0" in out
    call_command("develop_scale", study.slug, "--pool", "engagement-pool", "--criterion", "motivation",
                 "--cluster", "patient", "--k-max", "10", "--repeats", "2", "--boots", "5", "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert data["k_chosen_by"].startswith("largest mean |r|") and 3 <= data["k"] <= 10
    assert len(data["item_analysis"]) == N_ITEMS and data["pool_content_hash"]


BAD_REQUESTS = [
    (["--pool", "nope", "--k", "5"], "does not use an instrument"),
    (["--pool", "engagement-pool", "--criterion", "effort"], "No target of the study has a criterion"),
    (["--pool", "engagement-pool", "--cluster", "site", "--k", "5"], "no metadata field 'site'"),
    (["--pool", "engagement-pool"], "needs a criterion"),
    (["--pool", "engagement-pool", "--k", "5", "--rater", "someone"], "has no submitted ratings"),
    (["--pool", "engagement-pool", "--k", "99"], "exceeds the pool's 40 items"),
]


def test_the_command_explains_bad_requests_and_publishes_nothing(pool_study):
    study, _, _ = pool_study
    for args, message in BAD_REQUESTS:  # one study for every case: building it is the slow part
        with pytest.raises(CommandError, match=message):
            call_command("develop_scale", study.slug, *args, "--repeats", "1", "--boots", "1", "--publish")
    assert not InstrumentVersion.objects.filter(instrument__slug__startswith="engagement-pool-short").exists()


def test_an_instrument_that_is_not_a_pool_is_refused(pool_study, engagement):
    study, _, _ = pool_study
    study.instrument_versions.add(engagement)
    with pytest.raises(ValueError, match="not an item pool"):
        pool_version_for_study(study, "therapy-engagement")
