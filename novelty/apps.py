from django.apps import AppConfig


class NoveltyConfig(AppConfig):
    """The novelty-assessment pipeline: a study's literature corpus, retrieval, the staged
    LLM runner and its stored artefacts. Registers its runner with the ratings app."""

    name = "novelty"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ratings.services.pipelines import pipeline_runner_register

        from .runner import NoveltyRunner

        pipeline_runner_register(NoveltyRunner())
