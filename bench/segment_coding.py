"""Segment coding cost: the transcript read once (ours) vs a fresh prompt per utterance (naive).

    OMP_WAIT_POLICY=PASSIVE ANCHOR_LLM_THREADS=1 python bench/segment_coding.py [--quick]

A fictional 200-utterance session (generated deterministically here; therapist and client
alternate) is coded on two code sets, therapist behaviour for the therapist's utterances and
client talk for the client's, by the bundled SmolLM2-135M. Each utterance is coded given the
codebook and the transcript up to and including it.

(a) ours: ``SegmentCoder.code`` - codebook once, the transcript appended to the KV cache one
    utterance at a time, a short question per utterance as a branch that is then dropped;
(b) naive: for every utterance a fresh prompt (codebook, the same preceding transcript, the
    same question) evaluated from an empty cache.

Both run in the same process on two copies of the model (separate KV caches), interleaved
utterance by utterance, so machine noise falls on both alike. Tokens are counted by the model
(every token run through llama.cpp); seconds are the sum of each path's own steps.
``max_abs_diff`` is the largest difference between the two paths' probabilities (same context,
so it should be float noise). ``--quick`` codes the first 40 utterances. The last line is one
JSON object.
"""

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ratings.llm.coding import Code, CodeSet, CodingRequest, Segment  # noqa: E402
from ratings.llm.llama_cpp_backend import LlamaCppBackend  # noqa: E402
from ratings.llm.segment_coder import SegmentCoder  # noqa: E402

THERAPIST = CodeSet(
    code="therapist_behaviour", speakers=("therapist",),
    question="What is the therapist doing in this utterance?",
    codes=(
        Code("reflection", "Reflection", "Says back what the client said or meant.",
             ("It sounds like the evenings are the hardest part.",)),
        Code("question", "Question", "Asks the client something.",
             ("What would you like to be different?",)),
        Code("therapist_input", "Input", "Gives information, advice or an opinion.",
             ("Many people find a short walk helps with cravings.",)),
        Code("other", "Other", "Anything else: greetings, structuring, small talk.",
             ("Let's take a look at the time.",)),
    ))
CLIENT = CodeSet(
    code="client_talk", speakers=("client",),
    question="Does the client speak for change, against it, or neither?",
    codes=(
        Code("change", "Change", "Desire, ability, reasons, need or commitment to change.",
             ("I really want to cut down.",)),
        Code("neutral", "Neutral", "Neither for nor against change.",
             ("I work at the bakery on Saturdays.",)),
        Code("sustain", "Sustain", "Reasons or wishes to keep things as they are.",
             ("Drinking is the only way I can relax.",)),
    ))

# Fictional phrases for a fictional client; combined at random with a fixed seed.
_FEELINGS = ["tired of it", "worried", "stuck", "a bit hopeful", "frustrated", "torn", "calmer"]
_PLACES = ["at work", "at home in the evening", "with your brother", "on weekends",
           "after the late shift", "at your friend's place", "on the way home"]
_HABITS = ["the drinking", "the smoking", "staying up late", "skipping meals", "the gambling"]
_THERAPIST = {
    "reflection": ["It sounds like you feel {f} {p}.", "So {h} gets worse {p}.",
                   "You're saying part of you wants a change, and part of you doesn't.",
                   "You feel {f} when you think about {h}."],
    "question": ["What happens {p}?", "How would your week look without {h}?",
                 "What do you make of that?", "How important is it to you to change {h}?",
                 "When did you first notice {h} {p}?"],
    "therapist_input": ["Some people find it helps to plan the hours {p} in advance.",
                        "Cutting down slowly is often easier than stopping at once.",
                        "Sleep tends to improve within a few weeks of changing {h}."],
    "other": ["Let's pause there for a moment.", "Thanks for coming in today.",
              "We have about ten minutes left.", "Okay."],
}
_CLIENT = {
    "change": ["I want to deal with {h}, honestly.", "I think I could cut down {p}.",
               "I'm {f}, and I know something has to change.", "I'll try it this week."],
    "neutral": ["I was {p} most of Tuesday.", "My brother called on Sunday.", "I don't know.",
                "It was raining, so I stayed in."],
    "sustain": ["{h} is the only thing that helps me relax {p}.",
                "I don't really see a problem with {h}.", "Everyone I know does it too.",
                "I'm not ready to give it up."],
}


def fictional_segments(n: int, seed: int = 21) -> tuple[Segment, ...]:
    """``n`` utterances, therapist first, alternating; the same for the same ``n`` and seed."""
    rng = random.Random(seed)
    segments = []
    for i in range(n):
        speaker, bank = ("Therapist", _THERAPIST) if i % 2 == 0 else ("Client", _CLIENT)
        kind = rng.choice(sorted(bank))
        text = rng.choice(bank[kind]).format(f=rng.choice(_FEELINGS), p=rng.choice(_PLACES),
                                             h=rng.choice(_HABITS))
        segments.append(Segment(f"u{i + 1:03d}", speaker, text[0].upper() + text[1:]))
    return tuple(segments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--utterances", type=int, default=200)
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    n = 40 if args.quick else args.utterances
    threads = int(os.environ.get("ANCHOR_LLM_THREADS", "1"))

    request = CodingRequest(segments=fictional_segments(n), code_sets=(THERAPIST, CLIENT))
    # Two loaded copies (the seed only tells them apart): each path keeps its own KV cache.
    ours = SegmentCoder(LlamaCppBackend(args.model, n_ctx=args.n_ctx, n_threads=threads, seed=0))
    naive = SegmentCoder(LlamaCppBackend(args.model, n_ctx=args.n_ctx, n_threads=threads, seed=1))
    plan = ours.plan(request)
    warm = CodingRequest(segments=request.segments[:2], code_sets=request.code_sets)
    ours.code(warm), naive.code(warm, incremental=False)

    totals = {"ours": [0, 0.0], "naive": [0, 0.0]}
    results = {"ours": [], "naive": []}
    paths = {"ours": ours.steps(request, plan), "naive": naive.steps(request, plan, incremental=False)}
    coders = {"ours": ours, "naive": naive}
    for _ in range(n):
        for name in ("ours", "naive"):
            model = coders[name].model
            before, started = model.evaluated, time.perf_counter()
            results[name].extend(next(paths[name]))
            totals[name][1] += time.perf_counter() - started
            totals[name][0] += model.evaluated - before

    max_diff = max(abs(a.distribution[k] - b.distribution[k])
                   for a, b in zip(results["ours"], results["naive"], strict=True)
                   for k in a.distribution)
    agree = sum(a.code == b.code for a, b in zip(results["ours"], results["naive"], strict=True))
    coded = len(results["ours"])
    (ours_tokens, ours_s), (naive_tokens, naive_s) = totals["ours"], totals["naive"]
    window = ours.provenance(plan).window
    figures = {
        "benchmark": "segment_coding",
        "quick": args.quick,
        "model": ours.model.settings.path.name,
        "threads": threads,
        "n_ctx": args.n_ctx,
        "utterances": n,
        "code_sets": len(request.code_sets),
        "coded_segments": coded,
        "codebook_tokens": len(plan.head),
        "transcript_tokens": sum(map(len, plan.segments)),
        "ours_tokens": ours_tokens,
        "ours_seconds": round(ours_s, 3),
        "naive_tokens": naive_tokens,
        "naive_seconds": round(naive_s, 3),
        "tokens_per_coded_segment": round(ours_tokens / coded, 1),
        "tokens_ratio": round(naive_tokens / ours_tokens, 2),
        "seconds_ratio": round(naive_s / ours_s, 2),
        "goal_tokens_ratio": 10,
        "goal_met": naive_tokens >= 10 * ours_tokens,
        "max_abs_diff": max_diff,
        "argmax_agreement": agree / coded,
        "window": window.to_dict(),
        "codes_ours": {c: sum(r.code == c for r in results["ours"])
                       for cs in request.code_sets for c in cs.code_ids},
    }
    print(f"ours:  {ours_tokens} tokens, {ours_s:.1f} s for {coded} coded utterances")
    print(f"naive: {naive_tokens} tokens, {naive_s:.1f} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
