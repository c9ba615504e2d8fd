from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("studies/<slug:slug>/report/", views.study_report_page, name="study-report"),
    path("studies/<slug:slug>/report/tables.zip", views.study_report_tables, name="study-report-tables"),
]
