"""LLM rater throughput: naive prompts vs the shared-prefix rater vs llama.cpp's prefill floor.

    python bench/llm_throughput.py [--quick] [--model PATH]

On the bundled SmolLM2-135M, the 10-item therapy-engagement instrument and a fictional
~1,500-token transcript, one run measures:

(a) naive: one full prompt (instructions, transcript, item) per item, evaluated from scratch;
(b) ours: ``LlamaCppBackend.rate`` (transcript evaluated once, each item after it);
(c) floor: llama.cpp's raw prefill (``Llama.eval``) of exactly as many tokens as (b) evaluates,
    in one sequence.

A rating is one item score. ``tokens_per_rating`` is the tokens (b) evaluates per item score
(the transcript's share included). ``first_score_s`` is the in-process latency from calling
the backend to the first item score on a warm model (transcript plus one item); enqueueing and
the Celery worker are not part of this benchmark. A 0-100 item's cost (its distribution over
all 101 numbers) is measured next to a Likert item. ``--quick`` reads the first 12 turns of the
transcript (~430 tokens), times the naive way on one item (every naive item costs the same)
and (b), (c) once; without it, the whole transcript, all ten naive items and the best of three
runs. The last line is one JSON object.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ratings.llm import prompt as prompts  # noqa: E402
from ratings.llm.llama_cpp_backend import LlamaCppBackend  # noqa: E402
from ratings.llm.request import (  # noqa: E402
    ItemPrompt,
    NumericScale,
    RatingRequest,
    request_from_definition,
)
from ratings.llm.scoring import restrict_to_values  # noqa: E402

INSTRUMENT = ROOT / "instruments/builtin/therapy-engagement.yaml"
TRANSCRIPT = Path(__file__).with_name("llm_throughput_transcript.txt")


def best_of(runs: int, fn):
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def naive(backend: LlamaCppBackend, request: RatingRequest, n_items: int):
    """One full prompt per item from an empty cache: what a plain completion call does."""
    model = backend.model
    head = model.tokenize_segments(prompts.prefix_head(request, model.template), bos=True)
    material = model.tokenize_segments((prompts.material_segment(request.material),))
    tail = model.tokenize_segments(prompts.prefix_tail())
    results, tokens = [], 0
    for item in request.items[:n_items]:
        full = head + material + tail + model.tokenize_segments(
            prompts.item_segments(item, model.template))
        answers = {v: model.tokenize_segments(((t, False),))
                   for v, t in prompts.answer_texts(item.scale).items()}
        before = model.evaluated
        results.append(backend.score_answers(0, full, answers))
        tokens += model.evaluated - before
    return results, tokens


def floor(backend: LlamaCppBackend, n_tokens: int, sample: list[int]) -> None:
    llm = backend.model.llm
    tokens = (sample * (n_tokens // len(sample) + 1))[:n_tokens]
    llm.reset()
    llm.eval(tokens)


def item_seconds(backend: LlamaCppBackend, request: RatingRequest, item: ItemPrompt) -> float:
    """Best of three: one item scored on the cached transcript (its own tokens and steps)."""
    model = backend.model
    prefix = (model.tokenize_segments(prompts.prefix_head(request, model.template), bos=True)
              + model.tokenize_segments((prompts.material_segment(request.material),))
              + model.tokenize_segments(prompts.prefix_tail()))
    own = model.tokenize_segments(prompts.item_segments(item, model.template))
    answers = {v: model.tokenize_segments(((t, False),))
               for v, t in prompts.answer_texts(item.scale).items()}
    model.eval_at(0, prefix)
    seconds, _ = best_of(3, lambda: backend.score_answers(len(prefix), own, answers))
    return seconds


def quick_transcript(text: str, lines: int) -> str:
    """The first ``lines`` turns: --quick reads a shorter transcript to finish in a minute."""
    return "\n".join(text.splitlines()[:lines]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--model", default=None)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    runs, naive_items = (1, 1) if args.quick else (3, 10)

    backend = LlamaCppBackend(args.model, n_ctx=4096, n_threads=args.threads)
    document = yaml.safe_load(INSTRUMENT.read_text(encoding="utf-8"))
    transcript = TRANSCRIPT.read_text(encoding="utf-8")
    if args.quick:
        transcript = quick_transcript(transcript, 12)
    request = request_from_definition(document, material=transcript)
    n_items = len(request.items)
    first_item = request.items[0]
    numeric_item = ItemPrompt("numeric", first_item.question, NumericScale(
        0, 100, ((0, "not at all"), (100, "completely"))))

    def subset(*items: ItemPrompt) -> RatingRequest:
        return RatingRequest(request.instructions, transcript, items, request.material_name)

    backend.rate(RatingRequest(request.instructions, "Warm-up.", request.items[:1]))
    first_s, _ = best_of(runs, lambda: backend.rate(subset(first_item)))
    pair = backend.rate(subset(first_item, numeric_item))
    ours_s, rating = best_of(runs, lambda: backend.rate(request))
    naive_s, (naive_logmass, naive_tokens) = best_of(
        1, lambda: naive(backend, request, naive_items))
    naive_per_item = naive_s / naive_items
    sample = backend.model.tokenize_segments((prompts.material_segment(transcript),))
    floor_s, _ = best_of(runs, lambda: floor(backend, rating.tokens_evaluated, sample))

    likert_item_tokens = pair.items[0].tokens_evaluated
    numeric_item_tokens = pair.items[1].tokens_evaluated
    likert_item_s = item_seconds(backend, subset(first_item), first_item)
    numeric_item_s = item_seconds(backend, subset(numeric_item), numeric_item)

    max_diff = 0.0
    for item, logmass in zip(rating.items, naive_logmass):
        dist, _ = restrict_to_values(logmass, tuple(item.distribution))
        max_diff = max(max_diff, max(abs(dist[v] - item.distribution[v]) for v in dist))

    ours_rpm = 60 * n_items / ours_s
    naive_rpm = 60 / naive_per_item
    figures = {
        "benchmark": "llm_throughput",
        "quick": args.quick,
        "model": rating.provenance.model,
        "threads": args.threads,
        "items": n_items,
        "transcript_tokens": rating.material_tokens,
        "naive_items_timed": naive_items,
        "naive_s_per_target": naive_per_item * n_items,
        "ours_s_per_target": ours_s,
        "floor_s": floor_s,
        "speedup_vs_naive": naive_per_item * n_items / ours_s,
        "ratio_to_prefill_floor": ours_s / floor_s,
        "tokens_per_rating": rating.tokens_evaluated / n_items,
        "naive_tokens_per_rating": naive_tokens / naive_items,
        "ratings_per_minute": ours_rpm,
        "naive_ratings_per_minute": naive_rpm,
        "prefill_tokens_per_s": rating.tokens_evaluated / floor_s,
        "first_score_s": first_s,
        "first_score_note": "in-process: backend call to first item score on a warm model "
                            "(no Celery enqueue)",
        "numeric_0_100_item_tokens": numeric_item_tokens,
        "likert_item_tokens": likert_item_tokens,
        "likert_item_s": likert_item_s,
        "numeric_0_100_item_s": numeric_item_s,
        "max_abs_diff_vs_naive": max_diff,
    }
    rows = [
        ("(a) naive, full prompt per item", naive_per_item * n_items, naive_rpm,
         naive_tokens / naive_items),
        ("(b) ours, shared transcript prefix", ours_s, ours_rpm, rating.tokens_evaluated / n_items),
        ("(c) raw prefill of (b)'s tokens", floor_s, 60 * n_items / floor_s,
         rating.tokens_evaluated / n_items),
    ]
    print(f"{n_items} items, transcript {rating.material_tokens} tokens, "
          f"{rating.provenance.model}, {args.threads} threads{' (quick)' if args.quick else ''}")
    print(f"{'':38} {'s/target':>9} {'ratings/min':>12} {'tokens/rating':>14}")
    for name, seconds, rpm, tpr in rows:
        print(f"{name:38} {seconds:9.2f} {rpm:12.1f} {tpr:14.1f}")
    print(f"speedup vs naive {figures['speedup_vs_naive']:.2f}x (goal >= 6), ratio to prefill "
          f"floor {figures['ratio_to_prefill_floor']:.3f} (goal <= 1.2)")
    print(f"first score (warm, in-process) {first_s:.2f} s; a 0-100 item costs "
          f"{numeric_item_tokens} tokens ({numeric_item_s:.2f} s) vs {likert_item_tokens} "
          f"({likert_item_s:.2f} s) for a Likert item; max |p_ours - p_naive| = {max_diff:.2e}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
