"""Stand-in verdicts on simulated studies with known truth (issue 15).

Each study: 1,000 targets in 200 clusters of 5 (sessions within patients), a latent truth T
(variance 1; in the clustered design 0.36 of it between clusters), three human raters
(T + noise, sd 0.5; the human score is their mean), a criterion C = 0.5 T + noise (var 1), and
an LLM that rated every target with a bias (+0.5, slope 0.8) and heteroscedastic noise so that
its correlation with T is r. Humans rate 5, 10 or 20% of the targets, drawn at random or by
the LLM's (noisy) uncertainty with recorded inclusion probabilities.

Measured per cell (r x share x sampling): coverage of the 95% intervals of the mean and of the
criterion correlation, plain (independent targets) and clustered (the clustered design with
the cluster-aware intervals; "mean_plain_on_clustered" shows what ignoring clusters costs);
the PPI / human-only width ratio; how often the alt-test passes an LLM that is truly worse
than the humans by the margin (its human advantage E[W_h - W_f] equals epsilon, calibrated
by Monte Carlo) -- the false pass rate, goal <= alpha; seconds per study.

    python bench/stand_in.py [--quick] [--studies N] [--jobs J] [--checkpoint FILE] [--section]

``--section`` also times the report section on 1,000 targets x 3 humans x 5 judges (needs the
Django test settings and a scratch SQLite database).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

# One BLAS thread: the bootstrap products are small, and threaded BLAS on a shared machine
# spends more time synchronising than computing (set before numpy is imported).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from psychometrics.stand_in import alt_test, inclusion_probabilities, ppi_correlation, ppi_mean  # noqa: E402
from psychometrics.stand_in._resample import resampling  # noqa: E402

N_TARGETS, CLUSTER_SIZE, N_HUMANS, HUMAN_SD = 1000, 5, 3, 0.5
CRITERION_SLOPE, EPSILON, ALPHA = 0.5, 0.2, 0.05
TRUE_MEAN = 3.0
TRUE_R = CRITERION_SLOPE / np.sqrt(1 + HUMAN_SD ** 2 / N_HUMANS)  # corr(mean of humans, C), var C = 1


def boundary_llm_sd(rng, draws=400_000) -> float:
    """Noise sd of an unbiased LLM whose human advantage P(W_h) - P(W_f) equals epsilon:
    neg_rmse against the two remaining humans, continuous scores (no ties)."""
    t = rng.normal(size=draws)
    h = t[:, None] + rng.normal(0, HUMAN_SD, size=(draws, N_HUMANS))
    e = rng.normal(size=draws)

    def gap(sd):
        f = t + sd * e
        s_h = -np.sqrt(((h[:, [0]] - h[:, 1:]) ** 2).mean(axis=1))
        s_f = -np.sqrt(((f[:, None] - h[:, 1:]) ** 2).mean(axis=1))
        return np.mean(s_h >= s_f) - np.mean(s_f >= s_h)

    low, high = 0.0, 3.0
    for _ in range(40):
        mid = (low + high) / 2
        low, high = (mid, high) if gap(mid) < EPSILON else (low, mid)
    return (low + high) / 2


def simulate(rng, *, r, clustered):
    n_clusters = N_TARGETS // CLUSTER_SIZE
    clusters = np.repeat(np.arange(n_clusters), CLUSTER_SIZE)
    between = 0.6 if clustered else 0.0
    truth = TRUE_MEAN + rng.normal(0, between, n_clusters)[clusters] + rng.normal(0, np.sqrt(1 - between ** 2), N_TARGETS)
    humans = truth[:, None] + rng.normal(0, HUMAN_SD, size=(N_TARGETS, N_HUMANS))
    criterion = CRITERION_SLOPE * (truth - TRUE_MEAN) + rng.normal(0, np.sqrt(1 - CRITERION_SLOPE ** 2), N_TARGETS)
    noise_sd = 0.8 * np.sqrt(1 / r ** 2 - 1)
    spread = np.exp(0.5 * rng.normal(size=N_TARGETS))
    spread /= np.sqrt(np.mean(spread ** 2))
    llm = 0.5 + TRUE_MEAN + 0.8 * (truth - TRUE_MEAN) + noise_sd * spread * rng.normal(size=N_TARGETS)
    reported = (noise_sd * spread) ** 2 * np.exp(0.5 * rng.normal(size=N_TARGETS))  # the LLM's own variance
    return clusters, truth, humans, criterion, llm, reported


def draw(rng, share, sampling, reported):
    n = int(round(share * N_TARGETS))
    if sampling == "random":
        rated = np.zeros(N_TARGETS, bool)
        rated[rng.choice(N_TARGETS, n, replace=False)] = True
        return rated, None
    pi = inclusion_probabilities(reported, n)
    return rng.random(N_TARGETS) < pi, pi


def one_study(rng, *, r, share, sampling, boundary_sd, n_boot):
    out = {}
    for clustered in (False, True):
        clusters, truth, humans, criterion, llm, reported = simulate(rng, r=r, clustered=clustered)
        rated, pi = draw(rng, share, sampling, reported)
        y = np.where(rated, humans.mean(axis=1), np.nan)
        cl = clusters if clustered else None
        mean = ppi_mean(y, llm, clusters=cl, inclusion_probability=pi)
        corr = ppi_correlation(y, llm, criterion, clusters=cl, inclusion_probability=pi,
                               resample=resampling(N_TARGETS, n_boot=n_boot, seed=int(rng.integers(1 << 31)),
                                                   clusters=cl))
        key = "clustered" if clustered else "plain"
        out[f"mean_{key}"] = mean.ci_low <= TRUE_MEAN <= mean.ci_high
        out[f"r_{key}"] = corr.ci_low <= TRUE_R <= corr.ci_high
        out[f"width_mean_{key}"] = mean.width_ratio
        out[f"width_r_{key}"] = corr.width_ratio
        if clustered:
            naive = ppi_mean(y, llm, inclusion_probability=pi)
            out["mean_plain_on_clustered"] = naive.ci_low <= TRUE_MEAN <= naive.ci_high
        else:
            h = np.where(rated[:, None], humans, np.nan)
            worse = truth + boundary_sd * rng.normal(size=N_TARGETS)
            out["false_pass"] = bool(alt_test(h, worse, epsilon=EPSILON, alpha=ALPHA).passes)
            out["pass"] = bool(alt_test(h, llm, epsilon=EPSILON, alpha=ALPHA).passes)
    return out


CELLS = [(r, share, sampling) for r in (0.3, 0.6, 0.9) for share in (0.05, 0.10, 0.20)
         for sampling in ("random", "uncertainty")]


def _chunk(task):
    """``count`` studies of one cell, seeded by (seed, cell, round): the same numbers whatever
    the number of worker processes."""
    seed, cell_index, round_index, count, n_boot, boundary_sd = task
    r, share, sampling = CELLS[cell_index]
    rng = np.random.default_rng(np.random.SeedSequence([seed, cell_index, round_index]))
    start = time.process_time()
    rows = [one_study(rng, r=r, share=share, sampling=sampling, boundary_sd=boundary_sd, n_boot=n_boot)
            for _ in range(count)]
    return cell_index, rows, time.process_time() - start


def aggregate(rows_by_cell):
    """Per cell: the share of studies for every coverage and pass indicator, the median of the
    width ratios."""
    return {CELLS[k]: {key: float(np.median([row[key] for row in rows])) if key.startswith("width")
                       else float(np.mean([row[key] for row in rows])) for key in rows[0]}
            for k, rows in sorted(rows_by_cell.items())}


def run(studies, n_boot, seed=0, jobs=1, chunk=50, checkpoint=None):
    """Rounds of ``chunk`` studies in every cell; after each round the cumulative summary goes
    to stderr (and to ``checkpoint``), so a run stopped early still has every cell at equal n."""
    boundary_sd = boundary_llm_sd(np.random.default_rng(seed))
    rounds = [(i, min(chunk, studies - i * chunk)) for i in range((studies + chunk - 1) // chunk)]
    tasks = [(seed, k, i, count, n_boot, boundary_sd) for i, count in rounds for k in range(len(CELLS))]
    rows_by_cell = {k: [] for k in range(len(CELLS))}
    start, cpu, done = time.perf_counter(), 0.0, 0
    pool = None
    if jobs > 1:
        import multiprocessing

        pool = multiprocessing.get_context("fork").Pool(jobs)
        results = pool.imap(_chunk, tasks)
    else:
        results = map(_chunk, tasks)
    try:
        for n_task, (k, rows, seconds) in enumerate(results, start=1):
            rows_by_cell[k].extend(rows)
            cpu, done = cpu + seconds, done + len(rows)
            if n_task % len(CELLS) == 0:  # a round is complete: every cell has the same n
                cells = aggregate(rows_by_cell)
                per_cell = len(rows_by_cell[0])
                worst = min((v[key], key, c) for c, v in cells.items()
                            for key in ("mean_plain", "mean_clustered", "r_plain", "r_clustered"))
                print(f"{per_cell}/{studies} studies per cell, {time.perf_counter() - start:.0f} s wall, "
                      f"{cpu / done:.3f} s CPU per study; lowest coverage {worst[0]:.3f} ({worst[1]}, {worst[2]})",
                      file=sys.stderr, flush=True)
                if checkpoint:
                    with open(checkpoint, "a") as out:
                        out.write(json.dumps(result_json(cells, per_cell, n_boot, cpu / done, boundary_sd)) + "\n")
    finally:
        if pool is not None:
            pool.close()
    return aggregate(rows_by_cell), cpu / done, boundary_sd


def mc_se(p, n):
    """Monte-Carlo standard error of a share p from n simulated studies."""
    return float(np.sqrt(p * (1 - p) / n))


def summary(cells):
    out = {}
    for r in (0.3, 0.6, 0.9):
        mine = {k: v for k, v in cells.items() if k[0] == r}
        cover = {kind: min(v[kind] for v in mine.values())
                 for kind in ("mean_plain", "mean_clustered", "r_plain", "r_clustered")}
        out[f"r={r}"] = {
            "coverage": cover,
            "coverage_mean_plain_on_clustered": min(v["mean_plain_on_clustered"] for v in mine.values()),
            "width_ratio": {kind: max(v[f"width_{kind}"] for v in mine.values())
                            for kind in ("mean_plain", "mean_clustered", "r_plain", "r_clustered")},
            "false_pass_rate": max(v["false_pass"] for v in mine.values()),
            "llm_pass_rate": {f"share={s},{sampling}": v["pass"] for (_, s, sampling), v in mine.items()},
        }
    return out


KINDS = ("mean_plain", "mean_clustered", "r_plain", "r_clustered")


def shortfalls(cells, studies, goal=0.94):
    """Cells below the goal, each with its distance from 0.95 in Monte-Carlo standard errors:
    with 72 (cell, interval) coverages some fall below 0.94 by chance alone when the true
    coverage is 0.95 (P = 0.07 each at 1,000 studies); the pooled coverage over the cells of
    one r (18 x studies) tells a real shortfall from chance."""
    se = mc_se(0.95, studies)
    return [{"cell": f"r={r},share={share},{sampling}", "interval": kind, "coverage": round(v[kind], 4),
             "z_vs_0.95": round((v[kind] - 0.95) / se, 2)}
            for (r, share, sampling), v in cells.items() for kind in KINDS if v[kind] < goal]


def result_json(cells, studies, n_boot, per_study, boundary_sd):
    result = summary(cells)
    for r in (0.3, 0.6, 0.9):
        mine = [v for k, v in cells.items() if k[0] == r]
        result[f"r={r}"]["coverage_pooled"] = {kind: round(float(np.mean([v[kind] for v in mine])), 4)
                                               for kind in KINDS}
    result["below_0.94"] = shortfalls(cells, studies)
    result["cells"] = {f"r={r},share={share},{sampling}": {k: round(v, 4) for k, v in values.items()}
                       for (r, share, sampling), values in cells.items()}
    result.update({"studies_per_cell": studies, "n_boot": n_boot, "seconds_per_study": round(per_study, 4),
                   "coverage_mc_se_at_0.95": round(mc_se(0.95, studies), 4),
                   "boundary_llm_sd": round(boundary_sd, 4), "alpha": ALPHA, "epsilon": EPSILON,
                   "true_r": round(float(TRUE_R), 4)})
    return result


def _baseline():
    """The reference workload timed next to the section in the same run, so that a figure taken
    on a loaded machine can be read as a ratio: scipy's BCa bootstrap (1,000 resamples) of
    Pearson r on 1,000 pairs, the kind of work the section does many times over."""
    from scipy import stats

    rng = np.random.default_rng(0)
    x = rng.normal(size=1000)
    y = 0.5 * x + rng.normal(size=1000)
    start, cpu = time.perf_counter(), time.process_time()
    stats.bootstrap((x, y), lambda a, b, axis=-1: stats.pearsonr(a, b, axis=axis).statistic, paired=True,
                    vectorized=True, n_resamples=1000, method="BCa", rng=rng)
    return time.perf_counter() - start, time.process_time() - cpu


def time_section():
    """The report section on 1,000 targets x 3 humans x 5 judges, in a scratch database, with
    the baseline (``_baseline``) timed before and after it."""
    import tempfile

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    scratch = tempfile.mkdtemp(prefix="anchor-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from reports.build import Data
    from reports.stand_in_section import section_stand_in
    from tests.reports.stand_in_factory import synthetic_study

    study, version = synthetic_study(slug="bench-stand-in", n_targets=1000, n_humans=3, n_llms=5,
                                     human_share=0.2, seed=0)
    import ppi_py  # noqa: F401  (imported once per worker process, not part of the section)

    before = _baseline()
    start, cpu = time.perf_counter(), time.process_time()
    data = Data(study, version, "patient")
    data_seconds, data_cpu = time.perf_counter() - start, time.process_time() - cpu
    if os.environ.get("STAND_IN_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile(time.process_time)
        profile.enable()
    start, cpu = time.perf_counter(), time.process_time()
    section = section_stand_in(data, {"n_boot": 1000, "seed": 0})
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if os.environ.get("STAND_IN_PROFILE"):
        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(20)
    after = _baseline()
    base_wall, base_cpu = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
    return {"targets": 1000, "humans": 3, "judges": 5, "n_boot": 1000,
            "measures": sum(len(v["measures"]) for v in section["llm"].values()),
            "section_seconds": round(seconds, 2), "section_cpu_seconds": round(cpu, 2),
            "data_seconds": round(data_seconds, 2), "data_cpu_seconds": round(data_cpu, 2),
            "baseline": "scipy.stats.bootstrap BCa of Pearson r, 1,000 pairs x 1,000 resamples",
            "baseline_seconds": round(base_wall, 3), "baseline_cpu_seconds": round(base_cpu, 3),
            "section_over_baseline": round(seconds / base_wall, 1),
            "section_cpu_over_baseline_cpu": round(cpu / base_cpu, 1)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="8 studies per cell, 200 resamples")
    parser.add_argument("--studies", type=int, default=None, help="studies per cell (default 1000)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (the numbers do not depend on it)")
    parser.add_argument("--chunk", type=int, default=50, help="studies per cell per round (progress, checkpoints)")
    parser.add_argument("--checkpoint", help="append the cumulative JSON summary after every round to this file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--summarise", metavar="CHECKPOINT", help="print the table and JSON of a checkpoint's last round")
    parser.add_argument("--section", action="store_true", help="also time the report section")
    args = parser.parse_args()
    studies = args.studies if args.studies is not None else (8 if args.quick else 1000)
    n_boot = 200 if args.quick else 500
    if args.summarise:  # the table and JSON of the last complete round of a (stopped) run
        with open(args.summarise) as lines:
            last = json.loads(lines.readlines()[-1])
        cells = {}
        for key, values in last["cells"].items():
            r, share, sampling = key.split(",")
            cells[(float(r[2:]), float(share[6:]), sampling)] = values
        print_table(cells, last["studies_per_cell"])
        print(json.dumps(result_json(cells, last["studies_per_cell"], last["n_boot"], last["seconds_per_study"],
                                     last["boundary_llm_sd"])))
        return
    if studies == 0:  # --studies 0 --section: time the report section only
        print(json.dumps({"section": time_section()}))
        return
    cells, per_study, boundary_sd = run(studies, n_boot, seed=args.seed, jobs=args.jobs,
                                        chunk=min(args.chunk, studies), checkpoint=args.checkpoint)
    print_table(cells, studies)
    result = result_json(cells, studies, n_boot, per_study, boundary_sd)
    if args.section:
        result["section"] = time_section()
    print(json.dumps(result))


def print_table(cells, studies):
    print(f"{studies} studies per cell; Monte-Carlo SE of a coverage near 0.95: {mc_se(0.95, studies):.4f}")
    print(f"{'r':>4} {'share':>6} {'sampling':>12} {'cov mean':>9} {'cov mean cl':>11} {'cov r':>6} "
          f"{'cov r cl':>8} {'naive cl':>8} {'w mean':>7} {'w r':>5} {'false pass':>10} {'pass':>5}")
    for (r, share, sampling), v in cells.items():
        print(f"{r:>4} {share:>6} {sampling:>12} {v['mean_plain']:>9.3f} {v['mean_clustered']:>11.3f} "
              f"{v['r_plain']:>6.3f} {v['r_clustered']:>8.3f} {v['mean_plain_on_clustered']:>8.3f} "
              f"{v['width_mean_plain']:>7.2f} {v['width_r_plain']:>5.2f} {v['false_pass']:>10.3f} {v['pass']:>5.2f}")


if __name__ == "__main__":
    main()
