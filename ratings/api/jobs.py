"""Scoring jobs: status and progress, results once scored, cancelling."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.actor import Actor
from ratings.selectors import item_score_row, scoring_job_item_scores, scoring_job_progress, scoring_jobs_for_user
from ratings.services.access import ratings_exported
from ratings.services.scoring import scoring_job_cancel

from .common import ErrorOutput


class JobErrorOutput(serializers.Serializer):
    target_id = serializers.IntegerField()
    target = serializers.CharField(allow_null=True)
    error = serializers.CharField()


class RunningTargetOutput(serializers.Serializer):
    target_id = serializers.IntegerField()
    target = serializers.CharField()
    started_at = serializers.DateTimeField(allow_null=True, help_text="when the worker took it")
    items_done = serializers.IntegerField(help_text="items the worker has read of it (segments coded, on a coding "
                                                    "instrument; written every second or so)")
    items_total = serializers.IntegerField(help_text="items to read, x windows of a long material (segments to code, "
                                                     "on a coding instrument); 0: not known yet")
    progress_at = serializers.DateTimeField(allow_null=True, help_text="when items_done was written")


class ScoringJobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    results_url = serializers.CharField()
    artefacts_url = serializers.CharField(help_text="what each stage of a pipeline instrument produced, per rating "
                                                    "(an empty list for a scale instrument's job)")
    study = serializers.CharField()
    instrument = serializers.CharField()
    rater = serializers.CharField()
    status = serializers.ChoiceField(choices=["queued", "running", "done", "failed", "cancelled"])
    total = serializers.IntegerField()
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()
    progress = serializers.FloatField(help_text="share of the work done, 0 to 1: finished targets and the items "
                                                "read of the running ones")
    errors = JobErrorOutput(many=True)
    subset = serializers.DictField(allow_null=True, help_text="the chosen targets (`target_pks`) and, for a "
                                                              "sample, its `n` and `seed`; null: every target")
    targets = serializers.DictField(child=serializers.IntegerField(),
                                    help_text="how many targets are queued, running, done and failed")
    running = RunningTargetOutput(many=True, help_text="the targets workers are scoring now")
    elapsed_s = serializers.FloatField(allow_null=True, help_text="seconds since the job started (to its end once "
                                                                  "finished); null before a worker starts it")
    estimate_s = serializers.FloatField(allow_null=True, help_text="estimated seconds left (from the progress so "
                                                                   "far); null when finished or before an item is read")
    stalled = serializers.BooleanField(help_text="the job waits and nothing takes its work (see stalled_reason)")
    stalled_reason = serializers.CharField(allow_blank=True)
    stalled_since = serializers.DateTimeField(allow_null=True)
    worker_hint = serializers.CharField(allow_blank=True,
                                        help_text="set while the job is unfinished and no worker takes its queue")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class ItemScoreOutput(serializers.Serializer):
    target = serializers.CharField()
    rater = serializers.CharField()
    rater_kind = serializers.CharField()
    instrument = serializers.CharField()
    instrument_version_hash = serializers.CharField()
    item = serializers.CharField()
    score = serializers.FloatField()
    expected_score = serializers.FloatField(allow_null=True)
    distribution = serializers.DictField(child=serializers.FloatField(), allow_null=True)
    source = serializers.CharField()
    provenance = serializers.DictField()


def job_output(job) -> dict:
    return ScoringJobOutput({
        **scoring_job_progress(job),
        "subset": job.subset,
        "url": reverse("ratings-api:api-scoring-job", args=[job.pk]),
        "results_url": reverse("ratings-api:api-scoring-job-results", args=[job.pk]),
        "artefacts_url": reverse("api-scoring-job-artefacts", args=[job.pk]),
    }).data


class ScoringJobDetailApi(APIView):
    """A scoring job's status, counts, progress and errors per target; another user's job is a 404."""

    @extend_schema(responses={200: ScoringJobOutput, 404: ErrorOutput})
    def get(self, request: Request, job_id: int) -> Response:
        job = get_object_or_404(scoring_jobs_for_user(user=request.user), pk=job_id)
        return Response(job_output(job))


class ScoringJobResultsApi(ListAPIView):
    """The item scores a job has stored so far (paginated; complete once the job is done)."""

    serializer_class = ItemScoreOutput

    def get_queryset(self):
        job = get_object_or_404(scoring_jobs_for_user(user=self.request.user), pk=self.kwargs["job_id"])
        ratings_exported(actor=Actor.from_request(self.request), study=job.study, object_id=f"job {job.pk}")
        return scoring_job_item_scores(job=job)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([item_score_row(score) for score in page])

    @extend_schema(responses={200: ItemScoreOutput(many=True), 404: ErrorOutput})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ScoringJobCancelApi(APIView):
    """Cancel a queued or running job: targets not yet scored are skipped, stored ratings kept."""

    @extend_schema(request=None, responses={200: ScoringJobOutput, 404: ErrorOutput})
    def post(self, request: Request, job_id: int) -> Response:
        job = get_object_or_404(scoring_jobs_for_user(user=request.user), pk=job_id)
        job = scoring_job_cancel(job=job, actor=Actor.from_request(request))
        return Response(job_output(job))
