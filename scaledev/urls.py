from django.urls import path

from . import views

app_name = "scaledev"

urlpatterns = [
    path("manage/<slug:slug>/scale-development/", views.scale_development_page, name="develop"),
]
