"""Anchor's URLs: the home page, the admin, each app's pages, the REST API under /api/v1/ and its
OpenAPI schema (/api/schema/) and docs (/api/docs/)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from instruments import api as instruments_api
from novelty.api import LiteratureListUploadApi, ScoringJobArtefactsApi
from scaledev.api import ScaleDevelopmentApi
from reports.api import ReportRunApi, StudyReportApi
from ratings.accounts import RaterPasswordChangeView, SignInView
from ratings.urls import api_urlpatterns as ratings_api

instruments_api_urlpatterns = [
    path("instruments/", instruments_api.InstrumentListImportApi.as_view(), name="api-instruments"),
    path("instruments/<str:reference>/", instruments_api.InstrumentDetailApi.as_view(), name="api-instrument"),
]

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("admin/", admin.site.urls),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", RaterPasswordChangeView.as_view(), name="password_change"),
    path("api/v1/", include((instruments_api_urlpatterns, "instruments-api"))),
    path("api/v1/", include((ratings_api, "ratings-api"))),
    path("api/v1/studies/<slug:slug>/report/", StudyReportApi.as_view(), name="api-study-report"),
    path("api/v1/studies/<slug:slug>/literature/", LiteratureListUploadApi.as_view(), name="api-study-literature"),
    path("api/v1/jobs/<int:job_id>/artefacts/", ScoringJobArtefactsApi.as_view(), name="api-scoring-job-artefacts"),
    path("api/v1/studies/<slug:slug>/scale-development/", ScaleDevelopmentApi.as_view(),
         name="api-scale-development"),
    path("api/v1/report-runs/<int:run_id>/", ReportRunApi.as_view(), name="api-report-run"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, so the CSP needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("ratings.urls")),
    path("", include("reports.urls")),
    path("", include("scaledev.urls")),
    path("audit/", include("audit.urls")),
]

handler404 = "common.api_errors.not_found"
handler500 = "common.api_errors.server_error"
