"""An LLM scoring job on a coding instrument: what the segment coder is given and what is kept.

``scoring.score_target`` runs the coder and stores through ``coding.coding_rating_save`` under
the job's row lock; these helpers turn a target's segments into the coder's request and its
result into the codes and the provenance a rating stores.
"""

from instruments.models import InstrumentVersion
from ratings.llm import CodingRequest, CodingResult, ItemProgress, LlmBackend
from ratings.llm.coding import Segment, coding_request_from_spec
from ratings.llm.segment_coder import SegmentCoder
from ratings.models import ScoringJob, Target

from .coding import SegmentCodeInput


def coding_request_for(*, target: Target, version: InstrumentVersion) -> CodingRequest:
    """The target's segments in session order, on the instrument's code sets."""
    segments = [Segment(s.external_id, s.speaker, s.text) for s in target.segments.order_by("position")]
    return coding_request_from_spec(version.spec, segments)


def code_target(*, target: Target, version: InstrumentVersion, backend: LlmBackend,
                progress: ItemProgress | None = None) -> CodingResult:
    """Every applicable (segment, code set) of the target, the transcript read once;
    ``progress`` is told the segments coded (``SegmentCoder.code``)."""
    return SegmentCoder(backend).code(coding_request_for(target=target, version=version), progress=progress)


def segment_code_inputs(result: CodingResult) -> list[SegmentCodeInput]:
    """The most probable code of each coded segment, with the model's distribution."""
    return [SegmentCodeInput(c.segment_id, c.code_set, c.code, dict(c.distribution)) for c in result.codes]


def coding_provenance(job: ScoringJob, result: CodingResult) -> dict:
    """Model, hash, prompt and window; the session's cost; where a window left turns out."""
    return {
        **result.provenance.to_dict(),
        "instrument_version_hash": job.instrument_version.content_hash,
        "tokens_evaluated": result.tokens_evaluated,
        "transcript_tokens": result.transcript_tokens,
        "label_mass": {f"{c.segment_id}/{c.code_set}": c.label_mass for c in result.codes},
        "segments_dropped": {f"{c.segment_id}/{c.code_set}": c.segments_dropped
                             for c in result.codes if c.segments_dropped},
    }
