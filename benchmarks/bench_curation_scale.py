"""Curation at scale: time and memory of `ded curate` on 25,000 and 100,000 long rollouts.

Pool (``scale_pool.py``): N/16 questions x 16 teacher samples of ~12,000 characters, plus
8 student samples per question. Stages: ``length`` (a tiny local tokenizer, LLaMA-Factory's
``deepseekr1`` template), ``think_format``, ``math_correct``, ``pass_rate``, ``diversity``
(k = 4) and the LLaMA-Factory exporter, on all cores. ``ded curate`` runs as its own
process; a sampler adds up the resident memory of it and every process under it every
0.2 s and notes which stage is being built, so each stage gets its seconds (from its
``stats.json``) and its peak memory.

Targets (issue 11): peak memory of all processes < 2 GiB at 100,000 and at most 1.3x the
figure at 25,000; time at 100,000 at most 4.5x the time at 25,000; 100,000 under 30 min.
The baseline is this same pipeline at 25,000 rollouts; ``--checkout DIR`` runs another
checkout's code (the code before the engine redesign, say) on the same pools instead.

Run: .venv/bin/python benchmarks/bench_curation_scale.py [--sizes 25000,100000] [--checkout DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

from scale_pool import TEACHER_SAMPLES, write_pool


GIB = 2**30


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        tree[ppid].append(int(entry))
    return tree


def _rss_of_tree(root: int) -> int:
    tree = _children()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, ()))
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            pass
    return total


class Sampler(threading.Thread):
    """Peak resident memory of a process tree, per stage being built (``NN_name.partial``)."""

    def __init__(self, pid: int, run_dir: Path) -> None:
        super().__init__(daemon=True)
        self.pid, self.run_dir = pid, run_dir
        self.peak: dict[str, int] = defaultdict(int)
        self.done = threading.Event()

    def _stage(self) -> str:
        if not self.run_dir.is_dir():
            return "start"
        partial = sorted(p.name for p in self.run_dir.iterdir() if p.name.endswith(".partial"))
        if partial:
            return partial[-1].removesuffix(".partial")
        finished = sorted(p.name for p in self.run_dir.iterdir() if p.is_dir() and p.name[:2].isdigit())
        return f"after {finished[-1]}" if finished else "start"

    def run(self) -> None:
        while not self.done.is_set():
            rss = _rss_of_tree(self.pid)
            stage = self._stage()
            self.peak[stage] = max(self.peak[stage], rss)
            self.peak["all"] = max(self.peak["all"], rss)
            self.done.wait(0.2)


def _config(pool: Path, run_root: Path, name: str) -> Path:
    config = {
        "run": name,
        "output_dir": str(run_root),
        "seed": 0,
        "questions": str(pool / "questions.jsonl"),
        "rollouts": [str(pool / "teacher.jsonl")],
        "stages": [
            {
                "length": {
                    "tokenizer": str(pool / "tokenizer"),
                    "template": "deepseekr1",
                    "max_tokens": 12_000,
                }
            },
            "think_format",
            "math_correct",
            {"pass_rate": {"student_rollouts": str(pool / "student.jsonl"), "threshold": 0.5}},
            {"diversity": {"k": 4}},
        ],
        "export": [{"llamafactory": {"dataset_dir": str(run_root / name / "export"), "dataset_name": name}}],
    }
    path = run_root / f"{name}.json"  # JSON is YAML: both the old and the new loader read it
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=1))
    return path


def run_one(pool: Path, run_root: Path, name: str, checkout: Path | None) -> dict[str, object]:
    config = _config(pool, run_root, name)
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    ded = Path(sys.executable).parent / "ded"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(ded), "curate", str(config), "--no-progress"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=run_root,
    )
    sampler = Sampler(proc.pid, run_root / name)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"ded curate failed ({proc.returncode}):\n{err[-3000:]}")
    stages = []
    for stats_path in sorted((run_root / name).glob("[0-9][0-9]_*/stats.json")):
        stats = json.loads(stats_path.read_text())
        stage = stats["stage"]
        stages.append(
            {
                "stage": stage,
                "seconds": float(stats.get("seconds", 0.0)),
                "input": stats.get("input"),
                "kept": stats.get("kept"),
                "peak_gib": sampler.peak.get(stage, 0) / GIB,
            }
        )
    return {"seconds": seconds, "peak_gib": sampler.peak["all"] / GIB, "stages": stages, "table": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="25000,100000", help="teacher rollouts per run")
    parser.add_argument("--work", type=Path, default=Path("runs/bench_curation_scale"))
    parser.add_argument("--checkout", type=Path, default=None, help="run this checkout's code instead")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = args.work.absolute()
    label = f"code of {args.checkout}" if args.checkout else "this checkout"
    print(f"curation at scale, {label}, {os.cpu_count()} cores", flush=True)
    results = {}
    for size in sizes:
        n_q = -(-size // TEACHER_SAMPLES)
        t0 = time.perf_counter()
        pool = write_pool(work / f"pool_{n_q}", questions=n_q)
        print(f"pool of {n_q} questions ready in {time.perf_counter() - t0:.0f} s: {pool}", flush=True)
        name = f"run_{size}" + ("_checkout" if args.checkout else "")
        r = run_one(pool, work / "runs", name, args.checkout)
        results[size] = r
        print(
            f"\n== {size:,} teacher rollouts (+{n_q * 8:,} student): {r['seconds']:.0f} s, "
            f"peak {r['peak_gib']:.2f} GiB"
        )
        for s in r["stages"]:  # type: ignore[attr-defined]
            print(
                f"  {s['stage']:<18} {s['seconds']:8.1f} s   peak {s['peak_gib']:.2f} GiB   "
                f"{s['input']} -> {s['kept']}"
            )
        sys.stdout.flush()
    if len(sizes) >= 2:
        small, large = results[sizes[0]], results[sizes[-1]]
        time_ratio = float(large["seconds"]) / float(small["seconds"])  # type: ignore[arg-type]
        mem_ratio = float(large["peak_gib"]) / float(small["peak_gib"])  # type: ignore[arg-type]
        scale = sizes[-1] / sizes[0]
        print("")
        big, small_n = f"{sizes[-1]:,}", f"{sizes[0]:,}"
        print(f"time {big} / {small_n}: {time_ratio:.2f}x for {scale:.0f}x the rollouts (target <= 4.5)")
        print(f"peak memory {sizes[-1]:,} / {sizes[0]:,}: {mem_ratio:.2f}x (target <= 1.3)")
        print(f"peak memory at {sizes[-1]:,}: {float(large['peak_gib']):.2f} GiB (target < 2)")
        print(f"whole run at {sizes[-1]:,}: {float(large['seconds']) / 60:.1f} min (target < 30)")
        print(
            f"bench_curation_scale: {time_ratio:.2f}x time and {mem_ratio:.2f}x memory for {scale:.0f}x "
            f"the rollouts (baseline the {sizes[0]:,}-rollout run)"
        )


if __name__ == "__main__":
    main()
