from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_log_page, name="log"),
    path("export/", views.audit_log_export, name="export"),
]
