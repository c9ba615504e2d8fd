from django.apps import AppConfig


class ScaledevConfig(AppConfig):
    name = "scaledev"
    verbose_name = "Scale development"
