from django.apps import AppConfig


class NoveltyConfig(AppConfig):
    """The novelty-assessment pipeline: a study's literature corpus, retrieval, the staged
    LLM runner and its stored artefacts. Registers its runner with the ratings app."""

    name = "novelty"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ratings.services.encryption_keys import material_reencrypt
        from ratings.services.material_deletion import study_material_deleted
        from ratings.services.pipelines import pipeline_runner_register

        from .runner import NoveltyRunner
        from .services import artefacts_delete_for_study, artefacts_reencrypt

        pipeline_runner_register(NoveltyRunner())
        study_material_deleted.connect(artefacts_delete_for_study, dispatch_uid="novelty-artefacts")
        material_reencrypt.connect(artefacts_reencrypt, dispatch_uid="novelty-artefacts-reencrypt")
