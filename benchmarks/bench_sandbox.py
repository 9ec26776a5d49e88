"""Sandbox throughput against the official LiveCodeBench execution model.

Workload: the 164 HumanEval canonical solutions (each wrapped as a stdin program that runs
its ``check`` and prints ``OK``; all must pass) plus the LiveCodeBench semantics probes,
the whole set repeated to a few thousand runs.

Baseline: the official harness's execution model, re-implemented here on the same
semantics code: a process pool of the same width, and per generation a fresh
``multiprocessing.Manager`` plus one ``multiprocessing.Process`` that runs the tests
in-process under ``signal.alarm`` and compares inside, joined with the official global
timeout. Ours: :class:`ded_plugins.sandbox.Sandbox` (bubblewrap workers, fork per
program, seccomp, CPU-time limits, every time-limit verdict re-run once).

Checks that both give identical verdicts on every run, then prints
``bench_sandbox: X.Xx faster (baseline LiveCodeBench's official execution model)`` last.
Each side runs ``--repeat`` times, alternating, and its best time counts (as ``timeit``
does): on a shared virtual machine the same run can take a quarter longer from one
minute to the next, and noise only ever adds time. Every run's time is printed.

    python benchmarks/bench_sandbox.py [--rounds 10] [--workers N] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy  # noqa: F401  # the official testing_util imports numpy before forking

from ded_plugins.sandbox import RunRequest, Sandbox
from ded_plugins.sandbox.compare import judge_result, parse_expected
from ded_plugins.sandbox.inside import ded_child, wire


DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "code"


def humaneval_requests(path: Path) -> list[RunRequest]:
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            code = (
                row["prompt"] + row["canonical_solution"] + "\n\n" + row["test"] + "\n\n"
                f"check({row['entry_point']})\nprint('OK')\n"
            )
            out.append(
                RunRequest(id=row["task_id"], code=code, inputs=("\n",), outputs=("OK\n",), timeout_s=6)
            )
    return out


def probe_requests(path: Path) -> list[RunRequest]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        out.append(
            RunRequest(
                id=row["id"],
                code=row["code"],
                inputs=tuple(row["inputs"]),
                outputs=tuple(row["outputs"]),
                fn_name=row["fn_name"],
                timeout_s=row["timeout_s"],
            )
        )
    return out


# --- the official execution model ----------------------------------------------------------------


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def _run_test(request: RunRequest, grader: str, results: Any) -> None:
    """What upstream's ``run_test`` does: alarm per test, guard, run and compare in this process."""
    signal.signal(signal.SIGALRM, _alarm)
    null = os.open(os.devnull, os.O_WRONLY)  # programs that print past the capture stay off the terminal
    os.dup2(null, 1)
    os.dup2(null, 2)
    timeout = int(request.timeout_s)
    sys.set_int_max_str_digits(50000)
    program = ded_child.Program(request.code, list(request.inputs), request.fn_name, grader)
    ded_child.reliability_guard()
    call_based = request.fn_name is not None
    out: list[bool] = []
    signal.alarm(timeout)
    try:
        compiled = program.compile()
    finally:
        signal.alarm(0)
    if compiled[wire.KIND] == wire.OK:
        for index, expected in enumerate(request.outputs):
            signal.alarm(timeout)
            try:
                report = program.run_test(index)
            finally:
                signal.alarm(0)
            want = parse_expected(expected) if call_based else expected
            out.append(judge_result(report, want, call_based) == "passed")
            if not out[-1]:
                break
    else:
        out.append(False)
    results.append(out)


def check_correctness(request: RunRequest, grader: str) -> bool:
    manager = multiprocessing.Manager()
    try:
        results = manager.list()
        proc = multiprocessing.Process(target=_run_test, args=(request, grader, results))
        proc.start()
        proc.join(timeout=(int(request.timeout_s) + 1) * len(request.inputs) + 5)
        if proc.is_alive():
            proc.kill()
            proc.join()
        verdicts = list(results[0]) if results else []
    finally:
        manager.shutdown()
    return bool(verdicts) and len(verdicts) == len(request.inputs) and all(verdicts)


def _baseline_one(args: tuple[RunRequest, str]) -> bool:
    return check_correctness(*args)


def compare(requests: list[RunRequest], workers: int, grader: str, label: str, repeat: int) -> float:
    """Run ``requests`` both ways; check the verdicts agree; print and return the speedup."""
    ours_times, base_times = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        with Sandbox(workers=workers, grader=grader) as box:
            ours = box.run_many(requests)
            isolation = box.isolation
        ours_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            base = list(pool.map(_baseline_one, [(r, grader) for r in requests], chunksize=1))
        base_times.append(time.perf_counter() - start)
        differ = [(r.id, o.status, b) for r, o, b in zip(requests, ours, base, strict=True) if o.passed != b]
        if differ:
            sys.exit(f"{label}: verdicts differ on {len(differ)} runs: {differ[:10]}")
    n = len(requests)
    ours_s, base_s = min(ours_times), min(base_times)
    print(f"{label}: {n} runs, verdicts identical ({sum(base)} passed) in all {repeat} repetitions")
    print(f"  ours ({isolation}): best {ours_s:.2f} s ({n / ours_s:.1f} runs/s); runs: {_times(ours_times)}")
    print(f"  baseline (Manager + Process per generation): best {base_s:.2f} s; runs: {_times(base_times)}")
    print(f"  ratio: {base_s / ours_s:.1f}")
    return base_s / ours_s


def _times(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--grader", default="lcb2505")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side; the best counts")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"benchmark data not found at {DATA}")
    humaneval = humaneval_requests(DATA / "HumanEval.jsonl.gz")
    probes = probe_requests(DATA / "lcb_semantics_probes.jsonl")
    print(
        f"workers: {args.workers} on both sides, grader: {args.grader}, rounds: {args.rounds}, "
        f"repetitions: {args.repeat} (best counts)"
    )

    with Sandbox(workers=args.workers, grader=args.grader) as box:
        failed = [r.id for r in box.run_many(humaneval) if not r.passed]
    if failed:
        sys.exit(f"HumanEval canonical solutions failed in the sandbox: {failed}")
    print(f"all {len(humaneval)} HumanEval canonical solutions pass in the sandbox")

    # Per-program overhead alone, then the whole workload; the probes include a program that
    # sleeps past its 2 s limit, which costs its limit on both sides and once more for our re-run.
    compare(humaneval * args.rounds, args.workers, args.grader, "HumanEval only", args.repeat)
    workload = (humaneval + probes) * args.rounds
    speedup = compare(workload, args.workers, args.grader, "HumanEval + probes", args.repeat)
    print(f"bench_sandbox: {speedup:.1f}x faster (baseline LiveCodeBench's official execution model)")


if __name__ == "__main__":
    main()
