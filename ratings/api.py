"""REST endpoints of the ratings app (under /api/v1/)."""

from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import scoring_job_progress, scoring_jobs_for_user


class ScoringJobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    study = serializers.CharField()
    instrument = serializers.CharField()
    rater = serializers.CharField()
    status = serializers.CharField()
    total = serializers.IntegerField()
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()
    progress = serializers.FloatField()
    errors = serializers.ListField(child=serializers.DictField())
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class ScoringJobDetailApi(APIView):
    """A scoring job's status and progress; another user's job answers 404."""

    def get(self, request: Request, job_id: int) -> Response:
        job = get_object_or_404(scoring_jobs_for_user(user=request.user), pk=job_id)
        return Response(ScoringJobOutput(scoring_job_progress(job)).data)
