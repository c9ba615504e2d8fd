"""Retrieval for the novelty pipeline over a large corpus: one index, built once, reused.

``python bench/novelty_retrieval.py [--quick] [--papers N] [--claims N]``

Builds a synthetic corpus (Zipf-distributed words, dates spread over 2000-2026) of 100,000
papers (10,000 with ``--quick``), indexes it once, saves and loads the index, then for each of
a set of submissions computes what it may not see (prior work only, never itself) and retrieves
the top 5 papers per claim. The baseline is what the pipeline did before: rebuild an index over
the eligible papers for every submission (measured once here: its build time). Prints a table
and, as the last line, one JSON object with the figures.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from novelty.retrieval import Corpus, Index, Paper, parse_date  # noqa: E402

VOCABULARY = 30_000
ABSTRACT_WORDS = (80, 200)
TOP_K = 5


def synthetic_corpus(n: int, rng: np.random.Generator) -> list[Paper]:
    words = np.array([f"w{i:05d}" for i in range(VOCABULARY)])
    ranks = np.arange(1, VOCABULARY + 1)
    p = 1.0 / ranks**1.07
    p /= p.sum()
    lengths = rng.integers(*ABSTRACT_WORDS, size=n)
    drawn = rng.choice(VOCABULARY, size=int(lengths.sum()), p=p)
    papers, at = [], 0
    years, months, days = rng.integers(2000, 2027, n), rng.integers(1, 13, n), rng.integers(1, 29, n)
    precision = rng.integers(1, 4, n)
    for i in range(n):
        text = words[drawn[at:at + lengths[i]]]
        at += lengths[i]
        date = [f"{years[i]}", f"{years[i]}-{months[i]:02d}", f"{years[i]}-{months[i]:02d}-{days[i]:02d}"][precision[i] - 1]
        papers.append(Paper(id=f"P{i:06d}", title=" ".join(text[:8]), abstract=" ".join(text[8:]), date=date))
    return papers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 papers, 50 claims (under a minute)")
    parser.add_argument("--papers", type=int)
    parser.add_argument("--claims", type=int)
    args = parser.parse_args()
    n = args.papers or (10_000 if args.quick else 100_000)
    n_claims = args.claims or (50 if args.quick else 200)
    rng = np.random.default_rng(17)
    load_at_start = os.getloadavg()[0]  # the machine may be shared: absolute times depend on it

    started = time.perf_counter()
    papers = synthetic_corpus(n, rng)
    generate_s = time.perf_counter() - started
    by_id = {p.id: p for p in papers}

    started = time.perf_counter()
    index = Index.build(papers)
    build_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        index.save(Path(tmp) / "ix")
        save_s = time.perf_counter() - started
        started = time.perf_counter()
        loaded = Index.load(Path(tmp) / "ix")
        load_s = time.perf_counter() - started
    corpus = Corpus(loaded, lambda ids: {i: by_id[i] for i in ids if i in by_id})

    # Submissions: corpus papers themselves (so self-exclusion has work to do), each with 4 claims
    # drawn from its own abstract; a submission's date is the paper's.
    submissions = [papers[i] for i in rng.choice(n, size=max(1, n_claims // 4), replace=False)]
    exclusion_ms, claim_ms, excluded, self_retrieved, hits_total = [], [], [], 0, 0
    for submission in submissions:
        started = time.perf_counter()
        exclusions = corpus.exclusions(submission_id=submission.id, title=submission.title,
                                       abstract=submission.abstract, date=parse_date(submission.date))
        exclusion_ms.append(1000 * (time.perf_counter() - started))
        excluded.append(int((~exclusions.allowed).sum()))
        words = submission.abstract.split()
        for _ in range(4):
            start = int(rng.integers(0, max(1, len(words) - 20)))
            claim = " ".join(words[start:start + 20])
            started = time.perf_counter()
            hits = corpus.search(claim, k=TOP_K, exclusions=exclusions)
            claim_ms.append(1000 * (time.perf_counter() - started))
            hits_total += len(hits)
            self_retrieved += sum(h.paper.id == submission.id for h in hits)
            assert all(parse_date(h.paper.date) and h.paper.id in by_id for h in hits)

    per_claim_median = statistics.median(claim_ms)
    per_claim_p95 = float(np.percentile(claim_ms, 95))
    per_submission_median = statistics.median(exclusion_ms)
    # What one submission with 4 claims costs now, against rebuilding the index for it.
    now_per_submission_ms = per_submission_median + 4 * per_claim_median
    rebuild_per_submission_ms = 1000 * build_s
    print(f"corpus: {n:,} synthetic papers (generated in {generate_s:.1f} s), {len(claim_ms)} claims "
          f"of {len(submissions)} submissions, top {TOP_K}")
    print(f"{'step':<44}{'time':>14}")
    for label, value in [("index build (once per corpus)", f"{build_s:.2f} s"),
                         ("index save", f"{save_s:.2f} s"), ("index load (another worker)", f"{load_s:.2f} s"),
                         ("exclusions per submission, median", f"{per_submission_median:.1f} ms"),
                         ("retrieval per claim, median", f"{per_claim_median:.1f} ms"),
                         ("retrieval per claim, p95", f"{per_claim_p95:.1f} ms"),
                         ("baseline: rebuild per submission", f"{rebuild_per_submission_ms:.0f} ms")]:
        print(f"{label:<44}{value:>14}")
    print(f"excluded per submission: median {statistics.median(excluded):,.0f} papers; the submission itself "
          f"retrieved {self_retrieved} times in {hits_total} hits")
    print(json.dumps({
        "benchmark": "novelty_retrieval", "papers": n, "claims": len(claim_ms), "submissions": len(submissions),
        "top_k": TOP_K, "build_s": build_s, "save_s": save_s, "load_s": load_s,
        "exclusions_ms_median": per_submission_median, "claim_ms_median": per_claim_median,
        "claim_ms_p95": per_claim_p95, "claim_ms_max": max(claim_ms), "under_50_ms": per_claim_p95 < 50,
        "baseline_rebuild_per_submission_ms": rebuild_per_submission_ms,
        "speedup_vs_rebuild_per_submission": rebuild_per_submission_ms / now_per_submission_ms,
        "self_retrieved": self_retrieved, "excluded_median": statistics.median(excluded),
        "load_average_1min": {"start": round(load_at_start, 2), "end": round(os.getloadavg()[0], 2),
                              "cpus": os.cpu_count()},
    }))


if __name__ == "__main__":
    main()
