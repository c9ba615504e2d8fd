from django.urls import path

from . import api, views

app_name = "ratings"

urlpatterns = [
    path("jobs/<int:job_id>/", views.scoring_job_detail, name="scoring-job"),
]

api_urlpatterns = [
    path("jobs/<int:job_id>/", api.ScoringJobDetailApi.as_view(), name="api-scoring-job"),
]
