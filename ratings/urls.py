from django.urls import path

from . import api, manage_views, sampling_views, views

app_name = "ratings"

urlpatterns = [
    path("jobs/<int:job_id>/", views.scoring_job_detail, name="scoring-job"),
    path("jobs/<int:job_id>/cancel/", manage_views.scoring_job_cancel_view, name="scoring-job-cancel"),
    path("rate/", views.rater_queue, name="queue"),
    path("manage/", manage_views.study_list, name="manage"),
    path("manage/<slug:slug>/", manage_views.study_detail, name="manage-study"),
    path("manage/<slug:slug>/sampling/", sampling_views.sampling_plan_page, name="manage-study-sampling"),
    path("manage/<slug:slug>/ratings/", manage_views.study_ratings, name="manage-study-ratings"),
    path("manage/<slug:slug>/ratings/<int:rating_id>/reopen/", manage_views.study_rating_reopen,
         name="manage-rating-reopen"),
    path("rate/<int:assignment_id>/", views.rating_form, name="rating-form"),
    path("rate/<int:assignment_id>/draft/", views.rating_autosave, name="rating-autosave"),
]

api_urlpatterns = [
    path("studies/", api.StudyListCreateApi.as_view(), name="api-studies"),
    path("studies/<slug:slug>/", api.StudyDetailApi.as_view(), name="api-study"),
    path("studies/<slug:slug>/targets/", api.TargetListUploadApi.as_view(), name="api-study-targets"),
    path("studies/<slug:slug>/ratings/", api.RatingsApi.as_view(), name="api-study-ratings"),
    path("studies/<slug:slug>/codes/", api.CodesApi.as_view(), name="api-study-codes"),
    path("studies/<slug:slug>/robustness-runs/", api.RobustnessRunApi.as_view(), name="api-study-robustness-runs"),
    path("studies/<slug:slug>/scoring-jobs/", api.StudyScoringJobsApi.as_view(), name="api-study-scoring-jobs"),
    path("studies/<slug:slug>/sampling-plans/", api.SamplingPlanApi.as_view(), name="api-study-sampling-plans"),
    path("batches/", api.BatchCreateApi.as_view(), name="api-batches"),
    path("jobs/<int:job_id>/", api.ScoringJobDetailApi.as_view(), name="api-scoring-job"),
    path("jobs/<int:job_id>/results/", api.ScoringJobResultsApi.as_view(), name="api-scoring-job-results"),
    path("jobs/<int:job_id>/cancel/", api.ScoringJobCancelApi.as_view(), name="api-scoring-job-cancel"),
]
