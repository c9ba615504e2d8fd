"""The novelty pipeline over one submission: claims -> related work -> comparison -> judgement.

Pure orchestration over an ``LlmBackend`` and a list of papers; no Django, nothing stored.
Every generation is constrained by a JSON schema (the stage's ``output_schema``, tightened
with length bounds and, for citations, the retrieved ids), so output always parses; gates
then drop claims not grounded in the paper and citations of papers that were not retrieved.
The judgement items are scored from the model's distribution over their labels (``rate``),
on material that holds the paper and the per-claim comparisons.

Retrieval sees prior work only (see ``retrieval``), each distinct claim is compared once, and
contradictions are flagged, never repaired: a comparison labelled "novel" that cites an
anticipating paper (or "anticipated" citing none), and a conclusion of "novel" when every
comparison says "anticipated" (or "not novel" when every one says "novel"). A paper whose
every claim fails the claims gate, or that has no date to tell prior work by, is not rated:
``NoveltyPipelineError`` says why, and its rating stays missing (never a default score).
"""

import copy
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ratings.llm import LlmBackend, TargetRating, request_from_spec
from ratings.llm.errors import LlmPermanentError

from .gates import (
    FUZZY_THRESHOLD, MIN_SOURCE_WORDS, citations_gate, claims_gate, content_words, split_sentences,
)
from .retrieval import METHOD, NEAR_DUPLICATE_THRESHOLD, Corpus, Hit, normalise, parse_date

RUNNER_VERSION = "novelty-pipeline-2"
ANTICIPATED = ("anticipated", "partially anticipated")
CLAIM_TEXT_CHARS = 200
EXPLANATION_CHARS = 240
SUMMARY_CHARS = 200
MAX_GENERATION_TOKENS = 2048


class NoveltyPipelineError(LlmPermanentError):
    """The pipeline cannot rate this paper honestly (the message says why); the rating stays missing
    and the target is recorded as failed with that reason (a permanent error, never retried).
    ``tokens_evaluated`` is what the stages run so far cost."""

    tokens_evaluated: int = 0


@dataclass(frozen=True, slots=True)
class Submission:
    id: str
    title: str
    abstract: str
    introduction: str = ""
    date: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD

    @property
    def text(self) -> str:
        return "\n".join(part for part in (self.title, self.abstract, self.introduction) if part)


@dataclass(frozen=True, slots=True)
class Limits:
    """Overrides of the stage params ``max_claims`` and ``top_k``, and a cap on every generated
    text field (claim, explanation, summary) in characters, to keep a run cheap."""

    max_claims: int | None = None
    top_k: int | None = None
    text_chars: int | None = None

    def chars(self, default: int) -> int:
        return min(default, self.text_chars) if self.text_chars else default


def _token_budget(chars: int) -> int:
    """Enough tokens for JSON whose free text is at most ``chars`` characters: a token is at
    least one character, plus room for keys and punctuation; so bounded output never hits the
    limit (which would be an error, never a guess). Capped to leave room for the prompt."""
    return min(64 + chars, MAX_GENERATION_TOKENS)


@dataclass(frozen=True, slots=True)
class StageOutput:
    stage: str
    data: dict[str, Any]
    tokens_evaluated: int = 0
    gate: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PipelineResult:
    stages: tuple[StageOutput, ...]
    rating: TargetRating

    @property
    def tokens_evaluated(self) -> int:
        return sum(s.tokens_evaluated for s in self.stages)

    def provenance(self) -> dict[str, Any]:
        """Counts only (no material: provenance is not encrypted and stays after deletion)."""
        judgement = next(s for s in self.stages if s.stage == "judgement")
        return {"pipeline": {
            "runner": RUNNER_VERSION, "retrieval": METHOD, "claim_gate_threshold": FUZZY_THRESHOLD,
            "near_duplicate_threshold": NEAR_DUPLICATE_THRESHOLD,
            "tokens_by_stage": {s.stage: s.tokens_evaluated for s in self.stages},
            "gates": {s.stage: {k: v for k, v in s.gate.items() if k not in ("dropped_items", "checks")}
                      for s in self.stages if s.gate},
            "consistency": judgement.data["consistency"],
        }}


def _stage(spec: Any, code: str) -> Any:
    return next(s for s in spec.stages if s.code == code)


def _fill(template: str, values: Mapping[str, str]) -> str:
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


def _bounded(schema: Mapping[str, Any], *, strings: int, max_items: int | None = None,
             enum_ids: Sequence[str] | None = None, quotes: Sequence[str] | None = None) -> dict:
    """The stage schema with every string capped at ``strings`` characters, arrays at
    ``max_items``, an ``anticipated_by`` array restricted to ``enum_ids`` and a
    ``source_sentence`` restricted to ``quotes`` (the input's sentences)."""
    schema = copy.deepcopy(dict(schema))

    def walk(node: Any, key: str | None = None) -> None:
        if not isinstance(node, dict):
            return
        if key == "source_sentence" and quotes:
            node.clear()
            node["enum"] = list(quotes)
        if node.get("type") == "string" and "enum" not in node:
            node["maxLength"] = strings
        if node.get("type") == "array":
            if max_items is not None:
                node["maxItems"] = max_items
                node["minItems"] = 1  # an empty list would skip every later stage
            if key == "anticipated_by" and enum_ids is not None:
                node["items"] = {"enum": list(enum_ids)} if enum_ids else {"type": "string", "maxLength": 1}
                node["maxItems"] = len(enum_ids)
        for name, child in node.get("properties", {}).items():
            walk(child, name)
        walk(node.get("items"))

    walk(schema)
    return schema


def quotable_sentences(submission: Submission, *, limit: int = 60) -> list[str]:
    """The sentences of abstract and introduction, as written (first ``limit``); not the title,
    which names the paper and claims nothing a reviewer could check."""
    title, found = normalise(submission.title), []
    for part in (submission.abstract, submission.introduction):
        found += [s for s in split_sentences(part) if len(s.split()) >= MIN_SOURCE_WORDS and normalise(s) != title]
    return list(dict.fromkeys(found))[:limit]


def extract_claims(spec, submission: Submission, backend: LlmBackend, limits: Limits) -> StageOutput:
    stage = _stage(spec, "claims")
    max_claims = limits.max_claims or int(stage.params.get("max_claims", 8))
    prompt = _fill(stage.prompt, {"title": submission.title, "abstract": submission.abstract,
                                  "introduction": submission.introduction or "(not given)"})
    # Quoting is constrained to the paper's own sentences where the backend honours the schema;
    # the gate still checks every quote, for backends that do not.
    quotes = quotable_sentences(submission)
    chars = limits.chars(CLAIM_TEXT_CHARS)
    schema = _bounded(stage.output_schema, strings=chars, max_items=max_claims, quotes=quotes)
    longest = max((len(q) for q in quotes), default=chars)
    out = backend.generate_structured(instructions=spec.llm_instructions, prompt=prompt, schema=schema,
                                      max_tokens=_token_budget(max_claims * (chars + longest + 48)))
    raw = [c for c in (out.value or {}).get("claims", []) if isinstance(c, dict)][:max_claims]
    gate = claims_gate(raw, submission.text, title=submission.title)
    claims = [{"index": i, **claim} for i, claim in enumerate(gate.kept)]
    return StageOutput("claims", {"claims": claims, "generated": raw}, out.tokens_evaluated, gate.counts())


def _no_claim_error(claims_out: StageOutput) -> NoveltyPipelineError:
    gate = claims_out.gate
    reasons = ", ".join(f"{n} {reason}" for reason, n in gate["dropped_by_reason"].items()) or "none generated"
    return NoveltyPipelineError(f"every claim was dropped by the claims gate ({gate['dropped']} of "
                                f"{len(claims_out.data['generated'])} generated: {reasons}); the paper is not rated")


def submission_date(submission: Submission, *, required: bool):
    if submission.date in (None, ""):
        if required:
            raise NoveltyPipelineError("the submission has no `date` (or `year`) in its metadata, so prior work "
                                       "cannot be told from concurrent and later work; the paper is not rated")
        return None
    try:
        return parse_date(submission.date)
    except ValueError as exc:
        raise NoveltyPipelineError(f"the submission's date: {exc}") from None


def retrieve(spec, submission: Submission, claims: Sequence[dict], corpus: Corpus,
             limits: Limits) -> tuple[StageOutput, list[list[Hit]]]:
    """The top papers per claim among the corpus's prior work; one search per distinct query."""
    stage = _stage(spec, "related_work")
    k = limits.top_k or int(stage.params.get("top_k", 5))
    prior_only = bool(stage.params.get("exclude_after_submission", True))
    date = submission_date(submission, required=prior_only)
    exclusions = corpus.exclusions(submission_id=submission.id, title=submission.title,
                                   abstract=submission.abstract, date=date if prior_only else None)
    searched: dict[str, list[Hit]] = {}
    hits = []
    for claim in claims:
        query = f"{claim['claim']} {claim.get('source_sentence', '')}"
        if query not in searched:
            searched[query] = corpus.search(query, k=k, exclusions=exclusions)
        hits.append(searched[query])
    data = {"method": METHOD, "top_k": k, "corpus_size": len(corpus), "corpus_fingerprint": corpus.fingerprint,
            "submission_date": str(date) if date else None,
            "date_rule": ("strictly earlier at the finest precision both dates have" if prior_only
                          else "not applied (exclude_after_submission: false)"),
            "excluded": exclusions.to_dict(),
            "excluded_total": int((~exclusions.allowed).sum()), "searches": len(searched),
            "per_claim": [{"claim_index": c["index"], "papers": [h.to_dict() for h in claim_hits]}
                          for c, claim_hits in zip(claims, hits)]}
    return StageOutput("related_work", data), hits


def cited_passage(claim: str, abstract: str) -> dict:
    """The sentence of a cited abstract that shares the most content words with ``claim``
    (the first of equals): chosen by Anchor, not by the model, so a reviewer can check it."""
    words = content_words(claim)
    best, shared = "", -1
    for sentence in split_sentences(abstract) or [abstract]:
        overlap = len(words & content_words(sentence))
        if overlap > shared:
            best, shared = sentence, overlap
    return {"passage": best, "shared_content_words": max(shared, 0)}


def comparison_contradiction(label: str | None, cited: Sequence[str]) -> str | None:
    """Why a comparison's label contradicts its citations, or None."""
    if label == "novel" and cited:
        return f"labelled novel but cites {len(cited)} anticipating paper(s)"
    if label in ANTICIPATED and not cited:
        return f"labelled {label} but cites no paper"
    return None


def conclusion_contradiction(conclusion: str | None, comparisons: Sequence[dict]) -> str | None:
    """Why the conclusion contradicts the comparisons (all of one label), or None."""
    labels = [c.get("label") for c in comparisons]
    if not labels:
        return None
    if conclusion == "novel" and all(label == "anticipated" for label in labels):
        return f"concluded novel although all {len(labels)} comparison(s) say anticipated"
    if conclusion == "not novel" and all(label == "novel" for label in labels):
        return f"concluded not novel although all {len(labels)} comparison(s) say novel"
    return None


def _related_text(hits: Sequence[Hit]) -> str:
    return "\n".join(f"[{h.paper.id}] {h.paper.title} ({h.paper.date}). {h.paper.abstract}" for h in hits)


def compare(spec, claims: Sequence[dict], hits: Sequence[Sequence[Hit]], backend: LlmBackend,
            limits: Limits) -> StageOutput:
    stage = _stage(spec, "comparison")
    results, tokens, kept, dropped = [], 0, 0, []
    for claim, claim_hits in zip(claims, hits):
        ids = [h.paper.id for h in claim_hits]
        if not ids:
            results.append({"claim_index": claim["index"], "label": "novel", "anticipated_by": [],
                            "explanation": "No prior work was retrieved for this claim.", "cited_passages": [],
                            "contradiction": None, "generated": False})
            continue
        schema = _bounded(stage.output_schema, strings=limits.chars(EXPLANATION_CHARS), enum_ids=ids)
        out = backend.generate_structured(
            instructions=spec.llm_instructions, schema=schema,
            max_tokens=_token_budget(limits.chars(EXPLANATION_CHARS) + sum(len(i) + 4 for i in ids)),
            prompt=_fill(stage.prompt, {"claim": claim["claim"], "related_work": _related_text(claim_hits)}))
        tokens += out.tokens_evaluated
        value = out.value or {}
        gate = citations_gate(list(value.get("anticipated_by", [])), ids)
        kept += len(gate.kept)
        dropped += [{"claim_index": claim["index"], **d} for d in gate.dropped]
        abstracts = {h.paper.id: h.paper.abstract for h in claim_hits}
        label = value.get("label")
        results.append({"claim_index": claim["index"], "label": label,
                        "anticipated_by": list(gate.kept), "explanation": value.get("explanation", ""),
                        "cited_passages": [{"id": i, **cited_passage(claim["claim"], abstracts[i])} for i in gate.kept],
                        "contradiction": comparison_contradiction(label, gate.kept), "generated": True})
    gate = {"name": "cited_ids_retrieved", "checks": ["every cited id is among the papers retrieved for the claim"],
            "kept": kept, "dropped": len(dropped), "dropped_items": dropped}
    return StageOutput("comparison", {"comparisons": results}, tokens, gate)


def comparisons_text(claims: Sequence[dict], comparisons: Sequence[dict]) -> str:
    by_index = {c["claim_index"]: c for c in comparisons}
    lines = []
    for claim in claims:
        comp = by_index.get(claim["index"], {})
        cited = ", ".join(comp.get("anticipated_by", [])) or "none"
        lines.append(f"- ({claim.get('kind')}) {claim['claim']} -> {comp.get('label')}; "
                     f"anticipated by: {cited}. {comp.get('explanation', '')}".rstrip())
    return "\n".join(lines) or "(no claim passed the gate)"


def judge(spec, submission: Submission, claims: Sequence[dict], comparisons: Sequence[dict],
          backend: LlmBackend, limits: Limits) -> tuple[StageOutput, TargetRating]:
    stage = _stage(spec, "judgement")
    evidence = comparisons_text(claims, comparisons)
    material = f"Title: {submission.title}\nAbstract: {submission.abstract}\n\nClaims and comparison:\n{evidence}"
    summary = backend.generate_structured(
        instructions=spec.llm_instructions, prompt=material + "\n\n" + _fill(stage.prompt, {"comparisons": evidence}),
        schema=_bounded(stage.output_schema, strings=limits.chars(SUMMARY_CHARS)),
        max_tokens=_token_budget(limits.chars(SUMMARY_CHARS)))
    rating = backend.rate(request_from_spec(spec, material=material, material_name="paper and comparisons"))
    data = {"summary": (summary.value or {}).get("summary", ""), "material": material,
            "consistency": consistency(spec, rating, comparisons)}
    return StageOutput("judgement", data, summary.tokens_evaluated + rating.tokens_evaluated), rating


def consistency(spec, rating: TargetRating, comparisons: Sequence[dict]) -> dict:
    """The contradictions of one run (claim indexes and labels, no text)."""
    flagged = [{"claim_index": c["claim_index"], "label": c.get("label"), "cited": len(c.get("anticipated_by", [])),
                "reason": c["contradiction"]} for c in comparisons if c.get("contradiction")]
    conclusion = None
    if any(item.code == "conclusion" for item in rating.items):
        conclusion = spec.item("conclusion").scale.label(rating.item("conclusion").mode)
    contradiction = conclusion_contradiction(conclusion, comparisons)
    return {"comparisons": len(comparisons), "comparisons_contradicting_citations": flagged,
            "conclusion": conclusion, "conclusion_contradicts_comparisons": contradiction,
            "any": bool(flagged or contradiction)}


def run_pipeline(*, spec, submission: Submission, corpus: Corpus, backend: LlmBackend,
                 limits: Limits | None = None) -> PipelineResult:
    """Run the four stages for ``submission``; the returned rating counts every stage's tokens.
    Raises ``NoveltyPipelineError`` when the paper cannot be rated (see the module)."""
    limits = limits or Limits()
    started = time.perf_counter()
    submission_date(submission, required=bool(_stage(spec, "related_work").params.get("exclude_after_submission", True)))
    claims_out = extract_claims(spec, submission, backend, limits)
    claims = claims_out.data["claims"]
    if not claims:
        error = _no_claim_error(claims_out)
        error.tokens_evaluated = claims_out.tokens_evaluated
        raise error
    related_out, hits = retrieve(spec, submission, claims, corpus, limits)
    comparison_out = compare(spec, claims, hits, backend, limits)
    judgement_out, rating = judge(spec, submission, claims, comparison_out.data["comparisons"], backend, limits)
    stages = (claims_out, related_out, comparison_out, judgement_out)
    total = sum(s.tokens_evaluated for s in stages)
    return PipelineResult(stages, replace(rating, tokens_evaluated=total, elapsed_s=time.perf_counter() - started))
