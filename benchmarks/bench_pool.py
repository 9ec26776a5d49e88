"""Pool cleaning at scale: decontaminate and deduplicate a generated pool of 100,000 questions.

Benchmarks (about 1,600 items), each loaded through its ``ded_*`` task loader from local files:
AIME 2024, AIME 2025 and MATH-500 from ../shared/data; GPQA-Diamond is not local, so a generated
stand-in of 198 items in its format is used; LiveCodeBench's release_v6 test files are not local,
so the 880 real release_v5 statements of ../shared/data/code (o1-mini submissions file; no tests,
one placeholder test each) stand in, with the window widened to all their dates. The output says so.

The pool: generated MATH- and contest-style questions (combinatorial sentences with fresh names and
numbers, answer-format boilerplate and figure code on some), with planted copies of benchmark items
(rewritten: whitespace, delimiters, a wrapped sentence; or two characters changed), code questions
dated inside the window, and
planted duplicates (exact, and reordered sentences). Each step runs in a fresh process, so its peak
memory (ru_maxrss) is its own; one core each (the machine has two).

Baseline (OpenThoughts' decontamination): rapidfuzz ``fuzz.ratio`` of every pool question against
every benchmark item (``process.cdist``, score_cutoff 95, one worker) on a 5,000-question sample,
extrapolated to the pool. Ours must find the same fuzzy pairs on that sample (blocking recall).

Run: .venv/bin/python benchmarks/bench_pool.py [--pool 100000] [--sample 5000] [--data-dir ../shared/data]
Last line: ``bench_pool: decontamination <x>x faster (baseline all-pairs rapidfuzz ratio, extrapolated)``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


REPO = Path(__file__).resolve().parents[1]
#: ../shared/data beside the checkout (a worktree's checkout is one level deeper)
DATA_DIRS = (REPO.parent / "shared" / "data", REPO.parents[1] / "shared" / "data")
NAMES = ["Ada", "Bo", "Cyra", "Dev", "Eun", "Faro", "Gita", "Hal", "Ines", "Jun", "Kofi", "Lea", "Mira"]
THINGS = ["apples", "coins", "tiles", "cards", "beads", "books", "chairs", "stamps", "lamps", "boxes", "pens"]
SHAPES = ["triangle", "square", "hexagon", "trapezoid", "circle", "rectangle", "pentagon", "rhombus", "kite"]
VERBS = ["buys", "sells", "paints", "stacks", "shares", "collects", "arranges", "counts", "trades", "sorts"]
ASKS = [
    "How many {t} does {a} have at the end?",
    "What is the probability that {a} picks two {t} of the same colour?",
    "Find the remainder when the total number of {t} is divided by {n}.",
    "What is the area of the {s}?",
    "In how many ways can {a} arrange the {t} in a row?",
    "What is the smallest possible value of the sum?",
    "Find the number of ordered pairs that satisfy both conditions.",
    "What is the perimeter of the {s}, in centimeters?",
]
FACTS = [
    "{a} {v} {n} {t} every {m} days.",
    "A {s} has a side of length {n} and a diagonal of length {m}.",
    "{a} and {b} together own {n} {t}, and {a} owns {m} more than {b}.",
    "The sum of {n} consecutive integers is {m}.",
    "Each of the {n} {t} is labelled with a different integer from 1 to {m}.",
    "A point is chosen at random inside a {s} whose area is {n}.",
    "{a} {v} {t} at a rate of {n} per hour for {m} hours.",
    "The polynomial $x^2 - {n}x + {m}$ has two integer roots.",
    "Let $f(x) = {n}x + {m}$ and $g(x) = x^2 - {n}$.",
    "A bag contains {n} red {t} and {m} blue {t}.",
]
TAILS = ["", "", "", " Express your answer as a common fraction.", " Express it in simplest radical form."]
FIGURE = '\n[asy]\ndraw((0,0)--({n},0)--({n},{m})--cycle);\nlabel("${n}$",({n},0),S);\n[/asy]'
CODE = [
    "You are given an array of {n} integers. Count the pairs whose sum is divisible by {m}.",
    "There are {n} {t} on a line. {a} removes one every {m} seconds; print the order of removal.",
    "Given a string of length {n}, find the longest substring with at most {m} distinct characters.",
    "A grid has {n} rows and {m} columns. Print the number of paths avoiding the blocked cells.",
]


def _fill(text: str, r: random.Random) -> str:
    a, b = r.sample(NAMES, 2)
    n, m = r.randint(2, 999), r.randint(2, 999)
    return text.format(a=a, b=b, t=r.choice(THINGS), s=r.choice(SHAPES), v=r.choice(VERBS), n=n, m=m)


def _question(r: random.Random) -> tuple[str, str]:
    if r.random() < 0.2:
        parts = [_fill(r.choice(CODE), r) for _ in range(r.randint(1, 2))]
        return "code", " ".join(parts) + f" Constraints: 1 <= N <= {r.randint(10, 10**6)}."
    facts = [_fill(f, r) for f in r.sample(FACTS, r.randint(2, 4))]
    text = " ".join(facts) + " " + _fill(r.choice(ASKS), r) + r.choice(TAILS)
    if r.random() < 0.1:
        text += _fill(FIGURE, r)
    return "math", text


def _gpqa_standin(path: Path, n: int = 198) -> None:
    r = random.Random(198)
    rows = []
    for i in range(n):
        q = " ".join(_fill(f, r) for f in r.sample(FACTS, 3)) + " Which statement about it is correct?"
        options = [f"Option {r.randint(1, 10**6)}" for _ in range(4)]
        rows.append(
            {
                "Question": q,
                "Correct Answer": options[0],
                **{f"Incorrect Answer {k}": options[k] for k in (1, 2, 3)},
                "Record ID": f"gen{i}",
            }
        )
    path.write_text("".join(json.dumps(x) + "\n" for x in rows), encoding="utf-8")


def _lcb_standin(data: Path, path: Path) -> tuple[str, str]:
    rows = json.loads((data / "code" / "lcb_eval_all_o1-mini-2024-09-12_n1.json").read_text(encoding="utf-8"))
    placeholder = json.dumps([{"input": "1\n", "output": "1\n", "testtype": "stdin"}])
    keys = ("question_title", "question_content", "platform", "question_id", "contest_id", "contest_date")
    out = [
        {**{k: x[k] for k in keys}, "starter_code": x["starter_code"], "difficulty": x["difficulty"],
         "public_test_cases": placeholder, "private_test_cases": "[]", "metadata": "{}"}
        for x in rows
    ]  # fmt: skip
    path.write_text("".join(json.dumps(x) + "\n" for x in out), encoding="utf-8")
    days = sorted(x["contest_date"][:10] for x in rows)
    return days[0], days[-1]


def _typos(text: str, r: random.Random) -> str:
    """Two characters changed: a copy only fuzzy matching catches when the text is short."""
    chars = list(text)
    for _ in range(2):
        k = r.randrange(len(chars))
        if chars[k].isalpha():
            chars[k] = "x" if chars[k] != "x" else "y"
    return "".join(chars)


def _rewrite(text: str, k: int) -> str:
    if k % 3 == 0:
        return "  ".join(text.split())
    if k % 3 == 1:
        return text.replace("$", "\\(", 1).replace("$", "\\)", 1)
    return f"Solve the following problem.\n\n{text}\n\nGive a short justification."


def _make_pool(path: Path, n: int, bench_texts: list[str], window: tuple[str, str]) -> dict[str, int]:
    r = random.Random(0)
    planted = {"copies": 0, "typo_copies": 0, "dated": 0, "exact_dups": 0, "near_dups": 0}
    recent: list[str] = []
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            row: dict[str, Any] = {"id": f"p{i}"}
            roll = r.random()
            if roll < 0.0008:  # ~80 rewritten benchmark items
                row.update(domain="math", prompt=_rewrite(r.choice(bench_texts), i))
                planted["copies"] += 1
            elif roll < 0.0028:  # ~200 copies with two typos
                row.update(domain="math", prompt=_typos(r.choice(bench_texts), r))
                planted["typo_copies"] += 1
            elif roll < 0.0033:  # ~50 code questions from a contest in the window
                row.update(domain="code", prompt=_question(r)[1])
                row["metadata"] = {"platform": "atcoder", "contest_date": f"{window[1][:7]}-01T12:00:00"}
                planted["dated"] += 1
            elif roll < 0.0133 and recent:  # ~1% exact duplicates (other spacing/case)
                row.update(domain="math", prompt="  " + r.choice(recent).upper())
                planted["exact_dups"] += 1
            elif roll < 0.0233 and recent:  # ~1% the same sentences in another order
                sentences = r.choice(recent).split(". ")
                row.update(domain="math", prompt=". ".join(sentences[1:] + sentences[:1]))
                planted["near_dups"] += 1
            else:
                domain, text = _question(r)
                row.update(domain=domain, prompt=text)
                if domain == "math" and len(recent) < 2000:
                    recent.append(text)
            fh.write(json.dumps(row) + "\n")
    return planted


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load(meta: dict[str, str]) -> list[Any]:
    import datasets

    from ded_plugins.integrations.lm_eval.benchmarks import PAPER_BENCHMARKS, load_benchmarks

    datasets.disable_progress_bars()
    return load_benchmarks(list(PAPER_BENCHMARKS), metadata=meta)


def _step_decontaminate(pool: str, out: str, meta: dict[str, str], queue: Any) -> None:
    from ded_plugins.pool import PoolSource, decontaminate_pool

    benchmarks = _load(meta)
    started = time.perf_counter()
    result = decontaminate_pool(PoolSource(path=pool), benchmarks, out, progress=False)
    queue.put(
        {
            "seconds": time.perf_counter() - started,
            "peak_mib": _peak_mib(),
            "items": sum(len(b.items) for b in benchmarks),
            "questions": result.questions,
            "dropped": result.dropped,
            "by_benchmark": result.by_benchmark,
            "methods": sorted({m.method for m in result.matches if m.status == "contaminated"}),
        }
    )


def _step_dedup(pool: str, out: str, queue: Any) -> None:
    from ded_plugins.pool import PoolSource, dedup_pool

    started = time.perf_counter()
    result = dedup_pool(PoolSource(path=pool), out, progress=False)
    queue.put(
        {
            "seconds": time.perf_counter() - started,
            "peak_mib": _peak_mib(),
            "questions": result.questions,
            "exact": sum(d.method == "exact" for d in result.duplicates),
            "near": sum(d.method == "near" for d in result.duplicates),
        }
    )


def _step_baseline(pool: str, sample: int, meta: dict[str, str], queue: Any) -> None:
    from rapidfuzz import fuzz, process

    from ded_plugins.pool import Decontaminator
    from ded_plugins.pool.normalize import normalize
    from ded_plugins.records import Question

    benchmarks = _load(meta)
    items = [i for b in benchmarks for i in b.items]
    rows = []
    with open(pool, encoding="utf-8") as fh:
        for line in fh:
            rows.append(json.loads(line))
            if len(rows) == sample:
                break
    started = time.perf_counter()
    pool_norm = [normalize(r["prompt"]) for r in rows]
    bench_norm = [normalize(i.text) for i in items]
    scores = process.cdist(pool_norm, bench_norm, scorer=fuzz.ratio, score_cutoff=95, workers=1)
    seconds = time.perf_counter() - started
    pairs = {(rows[a]["id"], items[b].id) for a, b in zip(*scores.nonzero(), strict=True)}
    decon = Decontaminator(benchmarks)
    ours = set()
    for r in rows:
        q = Question(id=r["id"], domain=r["domain"], prompt=r["prompt"])
        ours |= {(m.pool_id, m.benchmark_id) for m in decon.check(q) if "fuzzy_ratio" in m.evidence}
        ours |= {(m.pool_id, m.benchmark_id) for m in decon.check(q) if m.method == "exact"}
    queue.put({"seconds": seconds, "pairs": len(pairs), "found_by_ours": len(pairs & ours)})


def _run(target: Any, *args: Any) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pool", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=5_000)
    default = next((p for p in DATA_DIRS if (p / "math500.jsonl").is_file()), DATA_DIRS[0])
    parser.add_argument("--data-dir", type=Path, default=default)
    args = parser.parse_args()
    data = args.data_dir
    if not (data / "math500.jsonl").is_file():
        print(f"skipped: benchmark data not found in {data}")
        return
    with tempfile.TemporaryDirectory(prefix="bench_pool.") as tmp_name:
        tmp = Path(tmp_name)
        _gpqa_standin(tmp / "gpqa.jsonl")
        window = _lcb_standin(data, tmp / "lcb.jsonl")
        meta = {
            "aime24_path": str(data / "aime24.jsonl"),
            "aime25_path": str(data / "aime25.jsonl"),
            "math500_path": str(data / "math500.jsonl"),
            "gpqa_diamond_path": str(tmp / "gpqa.jsonl"),
            "lcb_path": str(tmp / "lcb.jsonl"),
            "lcb_start": window[0],
            "lcb_end": window[1],
        }
        print("benchmarks: ded_aime24, ded_aime25, ded_math500 from local files; ded_gpqa_diamond: generated")
        print("  stand-in (198 items, not the real data); ded_livecodebench: 880 real release_v5 statements,")
        print(f"  window widened to {window[0]}..{window[1]} (release_v6's 2025-02..05 files are not local)")
        bench_texts = [json.loads(x)["problem"] for x in (data / "aime24.jsonl").read_text().splitlines()]
        bench_texts += [json.loads(x)["problem"] for x in (data / "math500.jsonl").read_text().splitlines()]
        pool = tmp / "pool.jsonl"
        planted = _make_pool(pool, args.pool, bench_texts, window)
        print(f"pool: {args.pool:,} generated questions, planted {planted}")

        decon = _run(_step_decontaminate, str(pool), str(tmp / "clean.jsonl"), meta)
        print(
            f"decontaminate: {decon['seconds']:.1f} s, peak {decon['peak_mib']:.0f} MiB, "
            f"{decon['items']} benchmark items, dropped {decon['dropped']} {decon['by_benchmark']} "
            f"by {decon['methods']}  (targets: < 60 s, < 1024 MiB)"
        )
        dedup = _run(_step_dedup, str(pool), str(tmp / "dedup.jsonl"))
        print(
            f"dedup: {dedup['seconds']:.1f} s, peak {dedup['peak_mib']:.0f} MiB, "
            f"{dedup['exact']} exact + {dedup['near']} near duplicates  (targets: < 120 s, < 1024 MiB)"
        )
        base = _run(_step_baseline, str(pool), args.sample, meta)
        extrapolated = base["seconds"] * args.pool / args.sample
        print(
            f"baseline all-pairs rapidfuzz on {args.sample:,}: {base['seconds']:.1f} s -> "
            f"{extrapolated:.0f} s for {args.pool:,}; of its {base['pairs']} pairs with ratio >= 95, "
            f"ours (blocked) finds {base['found_by_ours']}"
        )
        print(
            f"bench_pool: decontamination {extrapolated / decon['seconds']:.1f}x faster "
            "(baseline all-pairs rapidfuzz ratio, extrapolated)"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
