"""Diversity selection: ours vs a plain baseline on the same generated trajectories.

Input: N questions x 16 reasoning-like trajectories of ~12k characters that share
boilerplate, k = 4 (the paper's implied P). Generated question by question from a
seed, so memory stays that of one question whatever N is.

Baseline (the issue's): the full pairwise matrix with
``rapidfuzz.distance.Levenshtein.distance`` in one thread (every entry d[i][j] computed),
then greedy farthest-point selection in plain Python. Ours:
``ded_plugins.selectors.diversity.select_diverse`` (each unordered pair once, spread over
all cores). The selections must be identical; the last line is
``bench_diversity: X.XXx faster (baseline full pairwise matrix, one thread)``.
``--half-baseline`` also times a stronger single-thread baseline that computes each
unordered pair once, to show how much of the gain is symmetry and how much is cores.

Run: .venv/bin/python benchmarks/bench_diversity.py [--questions 200] [--half-baseline]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import time
from collections.abc import Iterator

from rapidfuzz.distance import Levenshtein

from ded_plugins.selectors.diversity import select_diverse


BOILERPLATE = [
    "Okay, so I need to figure out this problem step by step. ",
    "Let me start by restating what is given. ",
    "Wait, let me double-check that calculation. ",
    "Hmm, that doesn't seem right. Let me reconsider. ",
    "So, putting it all together, ",
    "Therefore, the answer should be ",
    "Alternatively, I could approach this differently. ",
    "Let me verify this with a small example. ",
]
WORDS = ["the", "a", "of", "to", "and", "is", "in", "that", "we", "for", "it", "as", "with"]
WORDS += ["equation", "value", "sum", "root", "triangle", "prime", "modulo", "integer"]


def trajectory(rng: random.Random, target: int) -> str:
    parts: list[str] = ["<think>\n"]
    size = 0
    while size < target:
        if rng.random() < 0.35:
            piece = rng.choice(BOILERPLATE)
        else:
            n = rng.randint(6, 24)
            piece = " ".join(rng.choice(WORDS) for _ in range(n)) + f" = {rng.randint(0, 999)}. "
        parts.append(piece)
        size += len(piece)
    parts.append(f"\n</think>\n\nThe final answer is \\boxed{{{rng.randint(0, 999)}}}.")
    return "".join(parts)


def questions(n: int, per_question: int, chars: int, seed: int) -> Iterator[list[str]]:
    for q in range(n):
        rng = random.Random(seed * 1_000_003 + q)
        yield [trajectory(rng, rng.randint(int(chars * 0.8), int(chars * 1.2))) for _ in range(per_question)]


def baseline(texts: list[str], k: int, *, half: bool = False) -> list[int]:
    n = len(texts)
    if n <= k:
        return list(range(n))
    dist = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1 if half else 0, n):
            longest = max(len(texts[i]), len(texts[j]))
            d = Levenshtein.distance(texts[i], texts[j]) / longest if longest else 0.0
            dist[i][j] = d
            if half:
                dist[j][i] = d
    best, bi, bj = -1.0, 0, 1
    for i in range(n):
        for j in range(i + 1, n):
            if dist[i][j] > best:
                best, bi, bj = dist[i][j], i, j
    chosen = [bi, bj]
    while len(chosen) < k:
        pick, pick_score = -1, -1.0
        for x in range(n):
            if x in chosen:
                continue
            score = min(dist[c][x] for c in chosen)
            if score > pick_score:
                pick, pick_score = x, score
        chosen.append(pick)
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--per-question", type=int, default=16)
    parser.add_argument("--chars", type=int, default=12_000)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--half-baseline", action="store_true", help="also time the half-matrix baseline")
    args = parser.parse_args()
    print(
        f"{args.questions} questions x {args.per_question} trajectories of ~{args.chars} chars, "
        f"k={args.k}, {os.cpu_count()} cores"
    )

    t_ours = t_base = t_half = 0.0
    mismatches = 0
    for texts in questions(args.questions, args.per_question, args.chars, args.seed):
        start = time.perf_counter()
        ours = select_diverse(texts, args.k)
        t_ours += time.perf_counter() - start
        start = time.perf_counter()
        base = baseline(texts, args.k)
        t_base += time.perf_counter() - start
        mismatches += ours != base
        if args.half_baseline:
            start = time.perf_counter()
            mismatches += baseline(texts, args.k, half=True) != ours
            t_half += time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"baseline (full matrix, 1 thread, Python greedy): {t_base:.2f} s")
    if args.half_baseline:
        ratio = t_half / t_ours
        print(f"half-matrix baseline (each pair once, 1 thread):  {t_half:.2f} s (ratio {ratio:.2f})")
    print(f"ours (each pair once, all cores, numpy greedy): {t_ours:.2f} s")
    print(f"selections identical: {mismatches == 0} ({mismatches} of {args.questions} differ)")
    print(f"peak RSS: {peak_mb:.0f} MiB")
    if mismatches:
        raise SystemExit("selections differ")
    print(f"bench_diversity: {t_base / t_ours:.2f}x faster (baseline full pairwise matrix, one thread)")


if __name__ == "__main__":
    main()
