"""Anchor's URLs: the home page, the admin, each app's pages and the REST API under /api/v1/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import TemplateView

from ratings.urls import api_urlpatterns as ratings_api

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", include((ratings_api, "ratings-api"))),
    path("", include("ratings.urls")),
    path("", include("reports.urls")),
]
