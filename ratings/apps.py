from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "ratings"
    verbose_name = "Studies and ratings"

    def ready(self):
        from . import checks  # noqa: F401 (registers the system checks)
