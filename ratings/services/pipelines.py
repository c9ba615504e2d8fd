"""Runners for pipeline instruments, registered by the apps that implement them.

``ratings`` scores scale instruments itself; a pipeline instrument (several LLM and retrieval
stages) is run by a runner another app registers in its ``AppConfig.ready`` (the novelty app
registers the claims -> related work -> comparison -> judgement runner). Registration keeps
the dependency one-way: ratings never imports the apps that build on it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ratings.llm import LlmBackend, TargetRating


@dataclass(frozen=True, slots=True)
class PipelineOutcome:
    """What a runner hands back for one target: the judgement items' scores (stored like any
    LLM rating), extra provenance, and ``store(rating)``, called inside the transaction that
    stores the rating, to save the intermediate artefacts with it."""

    rating: TargetRating
    provenance: dict[str, Any] = field(default_factory=dict)
    store: Callable[[Any], None] = lambda rating: None


class PipelineRunner(Protocol):
    name: str
    review_template: str  # renders ``review_context`` beside the reviewer's items

    def handles(self, spec: Any) -> bool:
        """Whether this runner knows the stages of ``spec`` (an ``InstrumentSpec``)."""
        ...

    def run(self, *, target: Any, version: Any, backend: LlmBackend) -> PipelineOutcome:
        """Run every stage for one target; nothing is written here."""
        ...

    def review_context(self, *, target: Any, version: Any) -> dict | None:
        """What a human reviewer sees of the pipeline's output for ``target`` (no scores)."""
        ...


_RUNNERS: dict[str, PipelineRunner] = {}


def pipeline_runner_register(runner: PipelineRunner) -> None:
    """Register (or replace, by name) a runner; called from an ``AppConfig.ready``."""
    _RUNNERS[runner.name] = runner


def pipeline_runner_for(spec: Any) -> PipelineRunner | None:
    """The registered runner that handles ``spec``'s stages, or None."""
    return next((runner for runner in _RUNNERS.values() if runner.handles(spec)), None)


def pipeline_review_context(*, target: Any, version: Any) -> dict | None:
    """What a reviewer of a pipeline instrument sees of the pipeline's run on ``target``
    (``{"template": ..., "data": ...}``), or None for a scale instrument or a pipeline no runner
    handles. A read, kept here beside the registry it consults."""
    if version.kind != "pipeline":
        return None
    runner = pipeline_runner_for(version.spec)
    if runner is None:
        return None
    return {"template": runner.review_template,
            "data": runner.review_context(target=target, version=version)}
