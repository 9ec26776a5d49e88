"""Two-level bootstrap: ours (chunked numpy) vs a plain per-resample Python loop, same input.

Input: a MATH-500-sized run with k = 16 samples per question (500 x 16 verdicts, drawn
from per-question success rates with a seed), 1,000 resamples, as the ``ded_*`` tasks'
interval metrics and ``ded compare`` / ``ded report`` compute it. Baseline: for each
resample, ``random.choices`` over the questions, then over each drawn question's samples,
and the mean of means, in Python. The two standard errors must agree within 10%
(different random streams); the last line is ``bootstrap: <x> faster (baseline ...)``.

Run: .venv/bin/python benchmarks/bench_bootstrap.py [--questions 500] [--k 16] [--resamples 1000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import numpy as np

from ded_plugins.evaluation.bootstrap import bootstrap_mean


def baseline_se(samples: list[list[float]], resamples: int, seed: int) -> float:
    rng = random.Random(seed)
    n = len(samples)
    stats = []
    for _ in range(resamples):
        questions = rng.choices(range(n), k=n)
        means = []
        for q in questions:
            drawn = rng.choices(samples[q], k=len(samples[q]))
            means.append(sum(drawn) / len(drawn))
        stats.append(sum(means) / n)
    return statistics.stdev(stats)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rates = rng.uniform(0.0, 1.0, args.questions)
    samples = [list((rng.random(args.k) < p).astype(float)) for p in rates]

    t0 = time.perf_counter()
    ours = bootstrap_mean(samples, resamples=args.resamples, seed=0)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    base = baseline_se(samples, args.resamples, seed=0)
    t_base = time.perf_counter() - t0
    print(f"{args.questions} questions x {args.k} samples, {args.resamples} resamples")
    print(f"ours:     se {ours.se:.5f} in {t_ours:.3f} s")
    print(f"baseline: se {base:.5f} in {t_base:.3f} s")
    assert abs(ours.se - base) / base < 0.1, "the two bootstraps disagree"
    print(f"bootstrap: {t_base / t_ours:.1f}x faster (baseline per-resample python loop)")


if __name__ == "__main__":
    main()
