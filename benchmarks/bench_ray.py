"""The Ray executor's overhead: `ded curate` on a local 2-node Ray cluster against the local executor.

Pool and stages are the scale benchmark's (``scale_pool.py``, ``bench_curation_scale.py``):
25,000 reasoning-like teacher rollouts of ~12,000 characters plus 8 student samples per
question; ``length`` (a tiny local tokenizer), ``think_format``, ``math_correct``,
``pass_rate``, ``diversity`` (k = 4) and the LLaMA-Factory exporter. The baseline is the
local executor (processes on this machine) on the same pool in the same process run; the
Ray run uses the test suite's cluster (``tests/ray_cluster.py``: a head and a worker node on
loopback, 1 CPU each) on the same machine, so Ray cannot be faster here: the figure is the
price of going through Ray. Both runs must write the same bytes (checked). The cluster's
start-up is printed apart (a real cluster is started once, not per run).

Target (issue 12): overhead <= 1.25x at 25,000 rollouts.

Run: .venv/bin/python benchmarks/bench_ray.py [--rollouts 25000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path


HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the test suite's loopback cluster

from bench_curation_scale import _config  # noqa: E402
from scale_pool import TEACHER_SAMPLES, write_pool  # noqa: E402


def _digest(run_dir: Path) -> str:
    """A hash of every stage's rows and the export (not timings or where units ran)."""
    h = hashlib.sha256()
    for path in sorted(run_dir.rglob("*.jsonl")):
        h.update(str(path.relative_to(run_dir)).replace(run_dir.name, "RUN").encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _curate(config: Path, executor: str) -> float:
    from ded_plugins.engine import curate

    started = time.perf_counter()
    curate(config, executor=executor, progress=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rollouts", type=int, default=25_000, help="teacher rollouts in the pool")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ded-bench-ray"))
    args = parser.parse_args()
    questions = -(-args.rollouts // TEACHER_SAMPLES)
    print(
        f"pool: {questions * TEACHER_SAMPLES:,} teacher rollouts, {questions * 8:,} student ...", flush=True
    )
    pool = write_pool(args.workdir / f"pool-{questions}", questions=questions)
    runs = args.workdir / "runs"
    local_cfg, ray_cfg = _config(pool, runs, "local"), _config(pool, runs, "ray")

    from ray_cluster import LocalCluster

    cluster = LocalCluster(workers=1).start()
    try:
        print(
            f"ray cluster (head + 1 worker node, 1 CPU each): started in {cluster.startup_s:.1f} s",
            flush=True,
        )
        local_s = _curate(local_cfg, "local")
        print(f"local executor: {local_s:.1f} s", flush=True)
        ray_s = _curate(ray_cfg, "ray")
        print(f"ray executor:   {ray_s:.1f} s", flush=True)
    finally:
        cluster.stop()
    same = _digest(runs / "local") == _digest(runs / "ray")
    print(f"outputs byte-identical: {same}")
    if not same:
        raise SystemExit("the Ray run wrote other bytes than the local run")
    print(f"bench_ray: {ray_s / local_s:.2f}x the time on Ray (baseline local executor)")


if __name__ == "__main__":
    main()
