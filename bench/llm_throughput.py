"""LLM rater throughput against the real limits: a positional floor, a naive and a caching caller.

    OMP_WAIT_POLICY=PASSIVE python bench/llm_throughput.py [--quick] [--rounds N] [--threads N|auto]
    OMP_WAIT_POLICY=PASSIVE python bench/llm_throughput.py --contended [--quick] [--busy N]

On the bundled SmolLM2-135M, the 10-item therapy-engagement instrument (five-point items) and a
fictional ~1,650-token transcript, one target (all ten items) is rated four ways, each in every
round, the rounds one after another and each starting one phase later (ours, floor, naive,
cached; floor, naive, cached, ours; ...), so a change in the machine's load hits every phase
alike; medians over the rounds are reported and the ratios are medians of the per-round ratios:

ours    ``LlamaCppBackend.rate``: the prefix (instructions, transcript) evaluated once, the
        items after it in the order of their token trie (each from the start it shares with
        the item before, still cached), and the answer trie (" " then the digit) read from
        the logits.
floor   the positional floor: exactly the tokens ours must evaluate, each once at its own
        position and with the fewest llama.cpp calls: the prefix in one ``Llama.eval``, then
        for each item (in ours' order) its unshared tokens and the trie's inner tokens in one
        ``eval`` (``n_tokens`` set back to the prefix and the shared start, which truncates
        the KV cache). Nothing is read from the logits: no per-candidate Python, no extra calls.
naive   every item from an empty cache (full prompt, then the trie): what a caller without
        prefix reuse pays. Its cost per target is measured on ``--naive-items`` items per round
        (rotating) and multiplied by the number of items (each naive item re-evaluates the same
        prefix; items differ by a few tokens).
cached  ``Llama.create_completion`` per item with the full prompt text, ``max_tokens=2``
        (" " and the digit), ``temperature=0``, on a cache reset at the start of the target
        (a new transcript): llama-cpp-python reuses the longest cached token prefix, so only
        the first item evaluates the transcript. This is what a user of llama-cpp-python writes;
        it returns one greedy answer per item, not a distribution.

``tokens_per_rating`` is the tokens ours evaluates per item score (the prefix's share
included). ``--contended`` instead runs beside ``--busy`` CPU-bound processes it spawns (a
Python busy loop each) and reports targets per minute at 1 and 2 llama.cpp threads, rounds
interleaved, and what ``ANCHOR_LLM_THREADS=auto`` picks there. ``--quick`` reads the first 12
turns of the transcript (~430 tokens) and runs 3 rounds. The last line is one JSON object.
"""

import argparse
import json
import os
import statistics
import subprocess
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
from ratings.llm.threads import auto_threads, keep_openmp_from_spinning  # noqa: E402

INSTRUMENT = ROOT / "instruments/builtin/therapy-engagement.yaml"
TRANSCRIPT = Path(__file__).with_name("llm_throughput_transcript.txt")

GAIN_NOTES = {
    "vs_naive": "the prefix (instructions and transcript) is evaluated once per target, not once "
                "per item",
    "vs_cached_completion": "no more tokens than llama-cpp-python's prefix reuse: ours evaluates "
                            "the items in the order of their token trie, so every distinct start "
                            "of the questions once, where the cache reuses only what a prompt "
                            "shares with the one before it in the request's order; and ours "
                            "returns the full distribution over the scale points from the logits "
                            "of that pass, where create_completion returns one sampled answer "
                            "(its logprobs need logits_all=True, i.e. logits for every prompt "
                            "token and an n_ctx x n_vocab array)",
    "windows": "not exercised here (the transcript fits n_ctx): material longer than the "
               "context is rated over overlapping windows instead of failing or being truncated",
    "trie_0_100": "a 0-100 item reads all 101 probabilities with 11 one-token steps (the answer "
                  "trie); scoring each value on its own costs the sum of their tokens",
}


def quick_transcript(text: str, lines: int) -> str:
    """The first ``lines`` turns: --quick reads a shorter transcript."""
    return "\n".join(text.splitlines()[:lines]) + "\n"


def load_request(quick: bool) -> RatingRequest:
    document = yaml.safe_load(INSTRUMENT.read_text(encoding="utf-8"))
    transcript = TRANSCRIPT.read_text(encoding="utf-8")
    if quick:
        transcript = quick_transcript(transcript, 12)
    return request_from_definition(document, material=transcript)


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def trie_inner_tokens(answers: dict[int, list[int]]) -> list[int]:
    """The tokens the answer trie evaluates after the item, as one chain: every proper prefix
    of an answer must be evaluated once (its logits give the next token's probabilities).
    The floor batches them with the item, which needs them to form a chain (true for a
    Likert scale's " 1".." 5": the chain is " ")."""
    prefixes = {tuple(a[:i]) for a in answers.values() for i in range(1, len(a))}
    chain = max(prefixes, key=len, default=())
    if any(p != chain[:len(p)] for p in prefixes):
        raise SystemExit("The floor needs answers whose inner trie nodes form one chain.")
    return list(chain)


class Phases:
    """The four ways of rating one target, on one loaded model."""

    def __init__(self, backend: LlamaCppBackend, request: RatingRequest) -> None:
        self.backend, self.request = backend, request
        model = backend.model
        self.llm = model.llm
        plan = backend._plan(request)
        if len(plan.windows) != 1:
            raise SystemExit("The bench transcript must fit one window.")
        self.prefix = plan.head + plan.material + plan.tail
        self.items = plan.items
        # In ours' order, each item from the start it shares with the one before (still cached).
        self.continuations = [
            (len(self.prefix) + step.start, plan.items[step.index].tokens[step.start:]
             + trie_inner_tokens(plan.items[step.index].answers)) for step in plan.order]
        self.floor_tokens = len(self.prefix) + sum(len(c) for _, c in self.continuations)
        segments = (prompts.prefix_head(request, model.template)
                    + (prompts.material_segment(request.material),) + prompts.prefix_tail())
        self.texts = [prompts.render(segments + prompts.item_segments(p.item, model.template))
                      for p in plan.items]
        self.cached_evaluated = 0
        self.naive_logmass: dict[int, dict[int, float]] = {}

    def ours(self):
        return self.backend.rate(self.request)

    def floor(self) -> None:
        llm = self.llm
        llm.n_tokens = 0
        llm.eval(self.prefix)
        for n_past, continuation in self.continuations:
            llm.n_tokens = n_past
            llm.eval(continuation)

    def naive_item(self, index: int) -> int:
        """One item from scratch; returns the tokens it evaluated."""
        plan = self.items[index]
        before = self.backend.model.evaluated
        self.naive_logmass[index] = self.backend.score_answers(
            0, self.prefix + plan.tokens, plan.answers)
        return self.backend.model.evaluated - before

    def cached(self) -> list[str]:
        llm = self.llm
        llm.reset()  # a new target: nothing of this transcript is cached yet
        evaluate, counted = llm.eval, [0]

        def counting(tokens):
            counted[0] += len(tokens)
            evaluate(tokens)

        llm.eval = counting
        try:
            answers = [llm.create_completion(prompt=text, max_tokens=2, temperature=0.0)
                       ["choices"][0]["text"] for text in self.texts]
        finally:
            del llm.eval
        self.cached_evaluated = counted[0]
        return answers


def median_ratio(numerators: list[float], denominators: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(numerators, denominators, strict=True))


def load_note() -> dict:
    return {"load_average_1min": round(os.getloadavg()[0], 2),
            "cpus": len(os.sched_getaffinity(0)), "omp_wait_policy":
            os.environ.get("OMP_WAIT_POLICY", "")}


def run_limits(args) -> None:
    request = load_request(args.quick)
    backend = LlamaCppBackend(args.model, n_ctx=4096, n_threads=args.threads)
    phases = Phases(backend, request)
    n_items = len(request.items)
    load_start = load_note()

    # Warm-up: the first call pages the weights in and builds the vocabulary masks.
    backend.rate(RatingRequest(request.instructions, "Warm-up.", request.items[:1]))
    times: dict[str, list[float]] = {"ours": [], "floor": [], "naive": [], "cached": []}
    naive_tokens: list[int] = []
    results: dict[str, object] = {}

    def run_phase(name: str, round_: int) -> None:
        if name == "naive":
            picked = [(round_ * args.naive_items + k) % n_items for k in range(args.naive_items)]
            seconds, tokens = timed(lambda: [phases.naive_item(i) for i in picked])
            times["naive"].append(seconds / len(picked) * n_items)
            naive_tokens.extend(tokens)
        else:
            seconds, results[name] = timed(getattr(phases, name))
            times[name].append(seconds)

    order = list(times)
    for round_ in range(args.rounds):
        # Each round starts one phase later (ours, floor, naive, cached; floor, naive, ...), so
        # no phase always runs first or last in a round.
        for name in order[round_ % 4:] + order[:round_ % 4]:
            run_phase(name, round_)
        print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()),
              flush=True)
    rating, greedy = results["ours"], results["cached"]

    medians = {k: statistics.median(v) for k, v in times.items()}
    ratios = [a / b for a, b in zip(times["ours"], times["floor"], strict=True)]
    max_diff = max(
        max(abs(p - rating.items[i].distribution[v]) for v, p in restrict_to_values(
            logmass, tuple(rating.items[i].distribution))[0].items())
        for i, logmass in phases.naive_logmass.items())

    # A 0-100 item's cost is counted, not timed: its tokens and the trie's inner nodes (each
    # one one-token step), against scoring every value's tokens on its own.
    numeric = ItemPrompt("numeric", request.items[0].question, NumericScale(
        0, 100, ((0, "not at all"), (100, "completely"))))
    numeric_plan = backend._plan(RatingRequest(
        request.instructions, request.material, (request.items[0], numeric),
        request.material_name)).items[1]
    numeric_steps = len({tuple(a[:i]) for a in numeric_plan.answers.values()
                         for i in range(1, len(a))})

    tokens_per_rating = rating.tokens_evaluated / n_items
    figures = {
        "benchmark": "llm_throughput",
        "quick": args.quick,
        "model": rating.provenance.model,
        "threads": backend.model.settings.n_threads,
        "threads_setting": str(args.threads),
        "rounds": args.rounds,
        "load_at_start": load_start,
        "load_at_end": load_note(),
        "items": n_items,
        "transcript_tokens": rating.material_tokens,
        "ours_s_per_target": medians["ours"],
        "positional_floor_s_per_target": medians["floor"],
        "naive_s_per_target": medians["naive"],
        "cached_completion_s_per_target": medians["cached"],
        "ratio_to_positional_floor": statistics.median(ratios),
        "ratio_to_positional_floor_per_round": [round(r, 4) for r in ratios],
        "speedup_vs_naive": median_ratio(times["naive"], times["ours"]),
        "speedup_vs_cached_completion": median_ratio(times["cached"], times["ours"]),
        "tokens_per_rating": tokens_per_rating,
        "floor_tokens_per_rating": phases.floor_tokens / n_items,
        "naive_tokens_per_rating": statistics.mean(naive_tokens),
        "cached_completion_tokens_per_rating": phases.cached_evaluated / n_items,
        "llama_cpp_calls_per_target": {"ours": 1 + 2 * n_items, "floor": 1 + n_items},
        "targets_per_minute": 60 / medians["ours"],
        "ratings_per_minute": 60 * n_items / medians["ours"],
        "numeric_0_100_item_tokens": len(numeric_plan.tokens) + numeric_steps,
        "numeric_0_100_trie_steps_after_item": numeric_steps,
        "numeric_0_100_per_value_tokens": len(numeric_plan.tokens)
                                          + sum(map(len, numeric_plan.answers.values())),
        "likert_item_tokens": rating.items[0].tokens_evaluated,
        "max_abs_diff_vs_naive": max_diff,
        "cached_completion_answers": greedy,
        "gain_from": GAIN_NOTES,
    }
    print(f"{n_items} items, transcript {rating.material_tokens} tokens, "
          f"{rating.provenance.model}, {figures['threads']} thread(s), {args.rounds} rounds, "
          f"load {load_start['load_average_1min']} -> {figures['load_at_end']['load_average_1min']}"
          f" on {load_start['cpus']} CPUs{' (quick)' if args.quick else ''}")
    print(f"{'median per target':40} {'s':>7} {'tokens/rating':>14}")
    for name, key, tokens in (
            ("ours (LlamaCppBackend.rate)", "ours", tokens_per_rating),
            ("positional floor (raw eval, same tokens)", "floor", figures["floor_tokens_per_rating"]),
            ("naive (each item from scratch)", "naive", figures["naive_tokens_per_rating"]),
            ("cached create_completion per item", "cached",
             figures["cached_completion_tokens_per_rating"])):
        print(f"{name:40} {medians[key]:7.2f} {tokens:14.1f}")
    print(f"ours / floor {figures['ratio_to_positional_floor']:.3f} (goal <= 1.1; per round "
          f"{', '.join(f'{r:.3f}' for r in ratios)}); speedup vs naive "
          f"{figures['speedup_vs_naive']:.2f}x, vs cached create_completion "
          f"{figures['speedup_vs_cached_completion']:.2f}x (goal >= 1.0)")
    print(f"a 0-100 item: {figures['numeric_0_100_item_tokens']} tokens with the trie "
          f"({figures['numeric_0_100_trie_steps_after_item']} one-token steps after the item) vs "
          f"{figures['numeric_0_100_per_value_tokens']} scoring each value; a Likert item "
          f"{figures['likert_item_tokens']}; max |p_ours - p_naive| = {max_diff:.2e}")
    for key, note in GAIN_NOTES.items():
        print(f"gain {key}: {note}")
    print(json.dumps(figures))


def run_contended(args) -> None:
    request = load_request(args.quick)
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(args.busy)]
    try:
        backends = {n: LlamaCppBackend(args.model, n_ctx=4096, n_threads=n) for n in (1, 2)}
        for backend in backends.values():
            backend.rate(request)  # warm-up, while the busy processes raise the load average
        auto = auto_threads()
        times: dict[int, list[float]] = {1: [], 2: []}
        for round_ in range(args.rounds):
            for n, backend in backends.items():
                times[n].append(timed(lambda b=backend: b.rate(request))[0])
            print(f"round {round_ + 1}: 1 thread {times[1][-1]:.2f} s, "
                  f"2 threads {times[2][-1]:.2f} s", flush=True)
        note = load_note()
    finally:
        for process in busy:
            process.kill()
            process.wait()
    per_minute = {n: 60 / statistics.median(v) for n, v in times.items()}
    figures = {
        "benchmark": "llm_throughput_contended",
        "quick": args.quick,
        "busy_processes": args.busy,
        "rounds": args.rounds,
        "load": note,
        "items": len(request.items),
        "targets_per_minute_1_thread": per_minute[1],
        "targets_per_minute_2_threads": per_minute[2],
        "auto_threads": auto,
        "targets_per_minute_auto": per_minute.get(auto),
        "ratio_2_threads_to_1": median_ratio(times[1], times[2]),
    }
    print(f"beside {args.busy} busy process(es), load {note['load_average_1min']} on "
          f"{note['cpus']} CPUs, OMP_WAIT_POLICY={note['omp_wait_policy'] or '(unset)'}: "
          f"{per_minute[1]:.1f} targets/min at 1 thread, {per_minute[2]:.1f} at 2; "
          f"auto picks {auto}")
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--model", default=None)
    parser.add_argument("--threads", default="1", help="a number or auto (default 1)")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--naive-items", type=int, default=1)
    parser.add_argument("--contended", action="store_true")
    parser.add_argument("--busy", type=int, default=1)
    args = parser.parse_args()
    args.rounds = args.rounds or (3 if args.quick else 5)
    keep_openmp_from_spinning()
    if args.contended:
        run_contended(args)
    else:
        run_limits(args)


if __name__ == "__main__":
    main()
