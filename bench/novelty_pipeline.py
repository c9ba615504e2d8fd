"""Novelty pipeline throughput against the holistic baseline, on the bundled model.

    python bench/novelty_pipeline.py [--quick] [--model PATH]

Over the fictional submissions and literature in ``novelty/demo/`` (no database), one run
measures, on the same model in the same process:

(a) pipeline: ``novelty.pipeline.run_pipeline`` (claims -> BM25 related work -> per-claim
    comparison -> summary and the two judgement items from the label distribution);
(b) baseline: the holistic ``novelty-holistic`` instrument, one ``rate`` call on the abstract.

It prints papers per minute and tokens evaluated per paper for each, and the pipeline's cost
as a ratio of the baseline's. ``--quick`` scores one paper with one claim, two papers per claim
and generated text capped at 60 characters (the stage budgets still apply); without it, every
submission with the instrument's own ``max_claims`` and ``top_k`` (8 and 5, text uncapped).
Constrained generation dominates the pipeline's time. The last line is one JSON object.
"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from instruments.definition import build_spec, load_definition  # noqa: E402
from novelty.pipeline import Limits, NoveltyPipelineError, Submission, run_pipeline  # noqa: E402
from novelty.retrieval import Corpus, Paper  # noqa: E402
from ratings.llm import request_from_spec  # noqa: E402
from ratings.llm.llama_cpp_backend import LlamaCppBackend  # noqa: E402

DEMO = ROOT / "novelty" / "demo"
BUILTIN = ROOT / "instruments" / "builtin"


def load():
    spec = lambda slug: build_spec(load_definition((BUILTIN / f"{slug}.yaml").read_text(encoding="utf-8")))
    rows = lambda name: [json.loads(l) for l in (DEMO / f"{name}.jsonl").read_text().splitlines() if l]
    corpus = Corpus.of([Paper(r["id"], r["title"], r["abstract"], str(r["year"]), r["venue"])
                        for r in rows("literature")])
    submissions = [Submission(r["id"], r["metadata"]["title"], r["text"], date=str(r["metadata"]["year"]))
                   for r in rows("submissions")]
    return spec("novelty-assessment"), spec("novelty-holistic"), corpus, submissions


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--model", help="GGUF file (default: the bundled SmolLM2-135M-Instruct)")
    args = parser.parse_args(argv)
    pipeline_spec, holistic_spec, corpus, submissions = load()
    if args.quick:
        submissions = sorted(submissions, key=lambda s: len(s.abstract))[:1]
    limits = Limits(max_claims=1, top_k=2, text_chars=60) if args.quick else Limits()
    backend = LlamaCppBackend(args.model, n_ctx=4096, n_threads=2)
    backend.rate(request_from_spec(holistic_spec, material="Warm-up."))  # load and warm the model

    not_rated: list[str] = []

    def pipeline(submission) -> int:
        try:
            return run_pipeline(spec=pipeline_spec, submission=submission, corpus=corpus, backend=backend,
                                limits=limits).tokens_evaluated
        except NoveltyPipelineError as exc:  # the small model's claims fail the gate: counted, not rated
            not_rated.append(f"{submission.id}: {exc}")
            return exc.tokens_evaluated

    runs = {}
    for name, score in (
        ("baseline", lambda s: backend.rate(request_from_spec(holistic_spec, material=s.abstract)).tokens_evaluated),
        ("pipeline", pipeline),
    ):
        started, tokens = time.perf_counter(), 0
        for submission in submissions:
            tokens += score(submission)
        seconds = time.perf_counter() - started
        runs[name] = {"papers": len(submissions), "seconds": seconds,
                      "papers_per_minute": 60 * len(submissions) / seconds,
                      "tokens_per_paper": tokens / len(submissions)}

    print(f"{'':10}{'papers':>8}{'seconds':>10}{'papers/min':>12}{'tokens/paper':>14}")
    for name, r in runs.items():
        print(f"{name:10}{r['papers']:>8}{r['seconds']:>10.1f}{r['papers_per_minute']:>12.2f}{r['tokens_per_paper']:>14.0f}")
    for line in not_rated:
        print(f"  not rated: {line}")
    ratios = {"pipeline_not_rated": len(not_rated), "time_ratio_pipeline_over_baseline": runs["pipeline"]["seconds"] / runs["baseline"]["seconds"],
              "tokens_ratio_pipeline_over_baseline":
                  runs["pipeline"]["tokens_per_paper"] / runs["baseline"]["tokens_per_paper"]}
    print(f"pipeline / baseline: {ratios['time_ratio_pipeline_over_baseline']:.1f}x the time, "
          f"{ratios['tokens_ratio_pipeline_over_baseline']:.1f}x the tokens per paper")
    print(json.dumps({"quick": args.quick, "limits": {"max_claims": limits.max_claims, "top_k": limits.top_k,
                                                      "text_chars": limits.text_chars},
                      **{k: v for name, r in runs.items() for k, v in
                         ((f"{name}_{key}", value) for key, value in r.items())}, **ratios}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
