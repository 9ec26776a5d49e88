"""Math grading: ours (ded_plugins.grading) vs Math-Verify, accuracy and throughput.

Inputs (read from ../shared/data, skipped with a message when absent):

* hardverify_math_pairs.jsonl: (gold, candidate, label) pairs; each candidate is graded
  as the response "Final answer: $\\boxed{candidate}$";
* qwen25math_math_cot_100.jsonl: 800 real CoT responses with Qwen's machine verdicts
  (labels with known errors: disagreements are listed for reading, not as truth).

For each grader and file: equivalent answers accepted, wrong answers accepted, agreement
with the labels (disagreements listed), answers per second (both graders in this process,
one item at a time, same inputs). The ratio of throughputs is printed last.

    python benchmarks/bench_math_grading.py [--data-dir ../shared/data] [--show 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ded_plugins.grading import grade_math


Item = tuple[str, str, bool, str]  # response, gold, label, id


def load_hardverify(path: Path) -> list[Item]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    return [
        (f"Final answer: $\\boxed{{{r['candidate']}}}$", r["gold"], bool(r["label"]), r["pair_id"])
        for r in rows
    ]


def load_qwen(path: Path) -> list[Item]:
    items = []
    for line in path.open(encoding="utf-8"):
        if line.strip():
            r = json.loads(line)
            for k, (response, score) in enumerate(zip(r["code"], r["score"], strict=True)):
                items.append((response, str(r["gt"]), bool(score), f"q{r['idx']}-{k}"))
    return items


def ours(response: str, gold: str) -> bool:
    return grade_math(response, gold).correct


def math_verify_grader() -> Callable[[str, str], bool]:
    from math_verify import parse, verify

    def grade(response: str, gold: str) -> bool:
        # the way lm-eval and lighteval call it: gold parsed as given, the whole response parsed
        return bool(verify(parse(f"${gold}$"), parse(response)))

    return grade


def run(name: str, grader: Callable[[str, str], bool], items: list[Item], show: int) -> tuple[float, str]:
    start = time.perf_counter()
    verdicts = [grader(response, gold) for response, gold, _, _ in items]
    seconds = time.perf_counter() - start
    pos = [v for v, (_, _, label, _) in zip(verdicts, items, strict=True) if label]
    neg = [v for v, (_, _, label, _) in zip(verdicts, items, strict=True) if not label]
    agree = sum(v == item[2] for v, item in zip(verdicts, items, strict=True))
    rate = len(items) / seconds
    print(
        f"  {name:12s} equivalent accepted {sum(pos)}/{len(pos)} ({100 * sum(pos) / max(len(pos), 1):.1f}%)"
        f"  wrong accepted {sum(neg)}/{len(neg)} ({100 * sum(neg) / max(len(neg), 1):.1f}%)"
        f"  agreement {agree}/{len(items)} ({100 * agree / len(items):.1f}%)  {rate:.0f} answers/s"
    )
    disagreements = [
        (item[3], item[1], item[2]) for v, item in zip(verdicts, items, strict=True) if v != item[2]
    ]
    for pid, gold, label in disagreements[:show]:
        print(f"      disagrees: {pid} gold={gold[:60]!r} label={label}")
    if len(disagreements) > show:
        print(f"      ... {len(disagreements) - show} more")
    return rate, name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--show", type=int, default=40, help="disagreements listed per grader and file")
    args = parser.parse_args()
    files = {
        "HardVerify-Math pairs": (args.data_dir / "hardverify_math_pairs.jsonl", load_hardverify),
        "Qwen2.5-Math CoT x800": (args.data_dir / "qwen25math_math_cot_100.jsonl", load_qwen),
    }
    baseline = math_verify_grader()
    totals = {"ours": [0.0, 0], "math-verify": [0.0, 0]}
    for title, (path, loader) in files.items():
        if not path.is_file():
            print(f"skip {title}: {path} not found")
            continue
        items = loader(path)
        print(f"{title} ({len(items)} items)")
        for name, grader in (("ours", ours), ("math-verify", baseline)):
            rate, _ = run(name, grader, items, args.show)
            totals[name][0] += len(items) / rate
            totals[name][1] += len(items)
    if not totals["ours"][1]:
        print("no data")
        return 1
    ours_rate = totals["ours"][1] / totals["ours"][0]
    mv_rate = totals["math-verify"][1] / totals["math-verify"][0]
    print(
        f"throughput ours/math-verify: {ours_rate / mv_rate:.2f}x "
        f"({ours_rate:.0f} vs {mv_rate:.0f} answers/s over all files)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
