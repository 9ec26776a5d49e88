"""Math grading: ours (ded_plugins.grading) vs Math-Verify, accuracy per suite and throughput.

Suites (data read from ../shared/data, skipped with a message when absent):

* HardVerify-Math pairs (the half the project holds): (gold, candidate, label); each
  candidate is graded as the response "Final answer: $\\boxed{candidate}$";
* Qwen2.5-Math CoT x800: real CoT responses with Qwen's machine verdicts (labels with
  known errors: disagreements are listed for reading, not as truth);
* near misses: every gold of MATH-500, AIME 2024 and AIME 2025 with the near misses and
  equivalent rewrites of :mod:`ded_plugins.grading.nearmiss`, graded like HardVerify;
  counted per transform for both graders.

For each grader and suite: equivalents accepted, wrong answers accepted. Both graders run
in this process, one item at a time, on the same inputs, after a warm-up; the ratio of
their throughputs (answers per second over all suites) is printed last.

    python benchmarks/bench_math_grading.py [--data-dir ../shared/data] [--show 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from ded_plugins.grading import grade_math
from ded_plugins.grading.probes import probes


Item = tuple[str, str, bool, str]  # response, gold, label, id (for the near misses: the transform)
Grader = Callable[[str, str], bool]


def _jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def boxed(candidate: str) -> str:
    return f"Final answer: $\\boxed{{{candidate}}}$"


def load_hardverify(data: Path) -> list[Item]:
    rows = _jsonl(data / "hardverify_math_pairs.jsonl")
    return [(boxed(str(r["candidate"])), str(r["gold"]), bool(r["label"]), str(r["pair_id"])) for r in rows]


def load_qwen(data: Path) -> list[Item]:
    items = []
    for r in _jsonl(data / "qwen25math_math_cot_100.jsonl"):
        for k, (response, score) in enumerate(zip(r["code"], r["score"], strict=True)):  # type: ignore[call-overload]
            items.append((str(response), str(r["gt"]), bool(score), f"q{r['idx']}-{k}"))
    return items


def load_near_misses(data: Path) -> list[Item]:
    golds = [
        (f"{name}:{i}", str(row["answer"]))
        for name in ("math500.jsonl", "aime24.jsonl", "aime25.jsonl")
        for i, row in enumerate(_jsonl(data / name))
    ]
    return [(boxed(p.candidate), p.gold, p.equivalent, p.transform) for p in probes(golds)]


SUITES: dict[str, tuple[str, Callable[[Path], list[Item]]]] = {
    "HardVerify-Math pairs (shared half)": ("hardverify_math_pairs.jsonl", load_hardverify),
    "Qwen2.5-Math CoT x800": ("qwen25math_math_cot_100.jsonl", load_qwen),
    "near misses of MATH-500 + AIME golds": ("math500.jsonl", load_near_misses),
}


def ours(response: str, gold: str) -> bool:
    return grade_math(response, gold).correct


def math_verify_grader() -> Grader:
    from math_verify import parse, verify

    def grade(response: str, gold: str) -> bool:
        # the way lm-eval and lighteval call it: gold parsed as given, the whole response parsed
        return bool(verify(parse(f"${gold}$"), parse(response)))

    return grade


def _pct(k: int, n: int) -> str:
    return f"{k}/{n} ({100 * k / max(n, 1):.1f}%)"


def timed(grader: Grader, items: list[Item]) -> tuple[list[bool], float]:
    start = time.perf_counter()
    verdicts = [grader(response, gold) for response, gold, _, _ in items]
    return verdicts, time.perf_counter() - start


def report(name: str, verdicts: list[bool], items: list[Item], seconds: float, show: int) -> None:
    pos = [v for v, item in zip(verdicts, items, strict=True) if item[2]]
    neg = [v for v, item in zip(verdicts, items, strict=True) if not item[2]]
    print(
        f"  {name:12s} equivalent accepted {_pct(sum(pos), len(pos))}"
        f"  wrong accepted {_pct(sum(neg), len(neg))}  {len(items) / seconds:.0f} answers/s"
    )
    wrong = [(item[3], item[1], item[0]) for v, item in zip(verdicts, items, strict=True) if v != item[2]]
    for tag, gold, response in wrong[:show]:
        print(f"      disagrees: {tag} gold={gold[:60]!r} response={response[-70:]!r}")
    if len(wrong) > show:
        print(f"      ... {len(wrong) - show} more")


def per_transform(items: list[Item], verdicts: dict[str, list[bool]]) -> None:
    names = list(verdicts)
    print(
        f"  {'transform':18s} {'kind':9s} {'n':>5s}  " + "  ".join(f"{n + ' accepted':>20s}" for n in names)
    )
    order = list(dict.fromkeys((item[3], item[2]) for item in items))
    total = Counter((item[3], item[2]) for item in items)
    for transform, label in sorted(order, key=lambda t: (t[1], t[0])):
        counts = [
            sum(
                v
                for v, item in zip(verdicts[n], items, strict=True)
                if (item[3], item[2]) == (transform, label)
            )
            for n in names
        ]
        kind = "rewrite" if label else "near miss"
        print(
            f"  {transform:18s} {kind:9s} {total[transform, label]:5d}  "
            + "  ".join(f"{c:20d}" for c in counts)
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--show", type=int, default=20, help="disagreements listed per grader and suite")
    args = parser.parse_args()
    graders: dict[str, Grader] = {"ours": ours, "math-verify": math_verify_grader()}
    for grader in graders.values():  # warm-up: imports and first-call set-up are not throughput
        grader(boxed("\\frac{1}{2}"), "0.5")
        grader(boxed("(1, 2)"), "(1,2)")
    seconds: Counter[str] = Counter()
    graded: Counter[str] = Counter()
    for title, (marker, loader) in SUITES.items():
        if not (args.data_dir / marker).is_file():
            print(f"skip {title}: {args.data_dir / marker} not found")
            continue
        items = loader(args.data_dir)
        print(f"{title} ({len(items)} items)")
        verdicts = {}
        for name, grader in graders.items():
            verdicts[name], secs = timed(grader, items)
            seconds[name] += secs
            graded[name] += len(items)
            report(name, verdicts[name], items, secs, args.show)
        if loader is load_near_misses:
            per_transform(items, verdicts)
    if not graded["ours"]:
        print("no data")
        return 1
    rates = {name: graded[name] / seconds[name] for name in graders}
    print(f"answers/s over all suites: ours {rates['ours']:.0f}, math-verify {rates['math-verify']:.0f}")
    print(
        f"bench_math_grading: {rates['ours'] / rates['math-verify']:.2f}x the throughput "
        "(baseline math-verify)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
