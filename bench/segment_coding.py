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
so it should be float noise). Every naive prompt's token count is also counted from the plan
(its context plus our question's own cost) and checked against the model's count.
``--naive-every K`` runs only every K-th naive prompt (the naive path is quadratic in the
session's length): the other prompts' tokens are the exact counts, their seconds are estimated
at the measured naive seconds per token, and the JSON says so (``naive_seconds_estimated``).
``--count-only`` counts both paths' tokens from the plan without running the model (a timed
run checks that count against the model's). ``--quick`` codes the first 40 utterances. The
last line is one JSON object.
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


def counted_tokens(coder: SegmentCoder, plan) -> tuple[int, int]:
    """What each path evaluates, counted from the plan without running the model: (ours, naive).

    A question costs its tokens plus one step per inner node of its answers' trie (every
    proper prefix of an answer's tokens); ours reads each window's prefix once and then each
    segment's tokens, naive reads every coded segment's whole context for every question.
    """
    own = {code: len(q.tokens) + len({tuple(a[:k]) for a in q.answers.values()
                                      for k in range(1, len(a))})
           for code, q in plan.questions.items()}
    ours = naive = 0
    window = -1
    for index, segment in enumerate(plan.segments):
        start = plan.starts[index]
        context = len(plan.context(index, coder.marker(start)))
        ours += len(segment) if start == window else context
        window = start
        for code in plan.applicable[index]:
            ours += own[code]
            naive += context + own[code]
    return ours, naive


def count_only(request: CodingRequest, coder: SegmentCoder, plan, n: int) -> None:
    ours, naive = counted_tokens(coder, plan)
    print(json.dumps({"benchmark": "segment_coding", "count_only": True, "utterances": n,
                      "n_ctx": coder.model.settings.n_ctx,
                      "coded_segments": sum(map(len, plan.applicable)),
                      "codebook_tokens": len(plan.head),
                      "transcript_tokens": sum(map(len, plan.segments)),
                      "ours_tokens": ours, "naive_tokens": naive,
                      "tokens_ratio": round(naive / ours, 2), "seconds_ratio": None,
                      "goal_tokens_ratio": 10, "goal_met": naive >= 10 * ours,
                      "window": coder.provenance(plan).window.to_dict()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--utterances", type=int, default=200)
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--model", default=None)
    parser.add_argument("--count-only", action="store_true",
                        help="count both paths' tokens from the plan (tokenizer only, no timing)")
    parser.add_argument("--naive-every", type=int, default=1,
                        help="run every K-th naive prompt only (the rest are counted exactly and "
                             "their seconds estimated at the measured seconds per token)")
    args = parser.parse_args()
    n = 40 if args.quick else args.utterances
    threads = int(os.environ.get("ANCHOR_LLM_THREADS", "1"))

    request = CodingRequest(segments=fictional_segments(n), code_sets=(THERAPIST, CLIENT))
    # Two loaded copies (the seed only tells them apart): each path keeps its own KV cache.
    ours = SegmentCoder(LlamaCppBackend(args.model, n_ctx=args.n_ctx, n_threads=threads, seed=0))
    plan = ours.plan(request)
    if args.count_only:
        count_only(request, ours, plan, n)
        return
    naive = SegmentCoder(LlamaCppBackend(args.model, n_ctx=args.n_ctx, n_threads=threads, seed=1))
    warm = CodingRequest(segments=request.segments[:2], code_sets=request.code_sets)
    ours.code(warm), naive.code(warm, incremental=False)

    ours_tokens, ours_s, naive_tokens, naive_s = 0, 0.0, 0, 0.0
    counted = 0  # every naive prompt's cost, counted from the plan (exact: see below)
    pairs = []
    steps = ours.steps(request, plan)
    for index in range(n):
        before, started = ours.model.evaluated, time.perf_counter()
        coded = next(steps)
        ours_s += time.perf_counter() - started
        ours_tokens += ours.model.evaluated - before
        for code in coded:
            # A naive prompt is the same context and question evaluated from an empty cache.
            cost = len(plan.context(index, ours.marker(plan.starts[index]))) + code.tokens_evaluated
            counted += cost
            if len(pairs) % args.naive_every == 0:
                before, started = naive.model.evaluated, time.perf_counter()
                fresh = naive.code_from_scratch(request, plan, index, code.code_set)
                naive_s += time.perf_counter() - started
                naive_tokens += naive.model.evaluated - before
                if fresh.tokens_evaluated != cost:
                    raise SystemExit(f"naive cost {fresh.tokens_evaluated} != counted {cost}")
                pairs.append((code, fresh))
            else:
                pairs.append((code, None))
        if index % 20 == 19:
            print(f"{index + 1}/{n} utterances: ours {ours_tokens} tokens {ours_s:.1f} s, "
                  f"naive {naive_tokens} tokens {naive_s:.1f} s", file=sys.stderr, flush=True)
    list(steps)

    compared = [(a, b) for a, b in pairs if b is not None]
    max_diff = max(abs(a.distribution[k] - b.distribution[k]) for a, b in compared
                   for k in a.distribution)
    agree = sum(a.code == b.code for a, b in compared) / len(compared)
    coded_n = len(pairs)
    # With --naive-every K > 1 only every K-th naive prompt is run; the seconds of the rest
    # are estimated at the measured seconds per token (the sample spans the whole session).
    naive_s_total = naive_s * counted / naive_tokens
    if counted_tokens(ours, plan) != (ours_tokens, counted):
        raise SystemExit(f"counted tokens {counted_tokens(ours, plan)} != measured {ours_tokens, counted}")
    window = ours.provenance(plan).window
    figures = {
        "benchmark": "segment_coding",
        "quick": args.quick,
        "model": ours.model.settings.path.name,
        "threads": threads,
        "n_ctx": args.n_ctx,
        "utterances": n,
        "code_sets": len(request.code_sets),
        "coded_segments": coded_n,
        "codebook_tokens": len(plan.head),
        "transcript_tokens": sum(map(len, plan.segments)),
        "ours_tokens": ours_tokens,
        "ours_seconds": round(ours_s, 3),
        "naive_tokens": counted,
        "naive_seconds": round(naive_s_total, 3),
        "naive_every": args.naive_every,
        "naive_prompts_run": len(compared),
        "naive_tokens_run": naive_tokens,
        "naive_seconds_run": round(naive_s, 3),
        "naive_seconds_estimated": args.naive_every > 1,
        "tokens_per_coded_segment": round(ours_tokens / coded_n, 1),
        "tokens_ratio": round(counted / ours_tokens, 2),
        "seconds_ratio": round(naive_s_total / ours_s, 2),
        "goal_tokens_ratio": 10,
        "goal_met": counted >= 10 * ours_tokens,
        "max_abs_diff": max_diff,
        "argmax_agreement": agree,
        "window": window.to_dict(),
        "codes_ours": {c: sum(a.code == c for a, _ in pairs)
                       for cs in request.code_sets for c in cs.code_ids},
    }
    print(f"ours:  {ours_tokens} tokens, {ours_s:.1f} s for {coded_n} coded utterances")
    print(f"naive: {counted} tokens, {naive_s_total:.1f} s"
          + (f" (run: every {args.naive_every}th prompt, {naive_tokens} tokens, {naive_s:.1f} s)"
             if args.naive_every > 1 else ""))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
