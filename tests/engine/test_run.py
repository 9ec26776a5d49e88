"""The curation pipeline on the example pool: stage files, counts, determinism, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_support import BIN, alive, ded_env, descendants

from ded_plugins.configs.curate import load_curation_config
from ded_plugins.engine import format_stage_table, run_curation
from ded_plugins.errors import ConfigError, StageError


def write_config(
    pool: Path, stages: list[Any], *, export: list[Any] | None = None, run: str = "demo"
) -> Path:
    config = {
        "run": run,
        "output_dir": str(pool / "runs"),
        "seed": 7,
        "questions": {"path": "questions.jsonl"},
        "rollouts": ["teacher_a.jsonl", "teacher_b.jsonl"],
        "stages": stages,
        "export": export
        if export is not None
        else [{"llamafactory": {"dataset_dir": str(pool / "lf_data"), "dataset_name": "ded_demo"}}],
    }
    path = pool / "curate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


LIGHT_STAGES: list[Any] = [
    "think_format",
    "math_correct",
    "code_correct",
    {"pass_rate": {"student_rollouts": "student.jsonl", "threshold": 0.5}},
    {"diversity": {"k": 2}},
]


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def outputs(run_dir: Path) -> dict[str, bytes]:
    """Every output file of a run except timings, by relative path."""
    out = {}
    for p in sorted(run_dir.rglob("*")):
        if not p.is_file() or p.name in (".lock", "step.json"):  # markers hold timestamps
            continue
        data = p.read_bytes()
        if p.name == "stats.json":
            stats = json.loads(data)
            stats.pop("seconds", None)
            stats.pop("by_node", None)  # where units ran this time: bookkeeping, not output
            data = json.dumps(stats, sort_keys=True).encode()
        out[str(p.relative_to(run_dir))] = data
    return out


def test_stages_write_kept_rejected_and_stats(pool: Path) -> None:
    config = load_curation_config(write_config(pool, LIGHT_STAGES))
    result = run_curation(config, progress=False)
    names = [s["stage"] for s in result.stages]
    assert names == ["01_think_format", "02_math_correct", "03_code_correct", "04_pass_rate", "05_diversity"]
    previous = 42  # 7 questions x 3 samples x 2 teachers
    for stats in result.stages:
        stage_dir = result.run_dir / stats["stage"]
        kept, rejected = read_lines(stage_dir / "kept.jsonl"), read_lines(stage_dir / "rejected.jsonl")
        assert stats["input"] == previous == len(kept) + len(rejected)
        assert stats["kept"] == len(kept) and stats["rejected"] == len(rejected)
        assert sum(stats["dropped"].values()) == len(rejected)
        assert all(r["rejection"]["reason"].startswith(stats["component"] + ".") for r in rejected)
        previous = len(kept)
    dropped = {s["stage"]: s["dropped"] for s in result.stages}
    assert dropped["01_think_format"] == {"think_format.missing_open": 1}  # m2 / teacher_b / 1
    assert dropped["02_math_correct"] == {"math_correct.wrong": 5}  # teacher_b's third sample
    assert dropped["03_code_correct"] == {"code_correct.wrong_answer": 2}  # teacher_a's second program
    # the student solves m1, m4 and c1 in every sample: all their teacher rollouts go
    rejected_q = {r["question_id"] for r in read_lines(result.run_dir / "04_pass_rate" / "rejected.jsonl")}
    assert rejected_q == {"m1", "m4", "c1"}
    assert dropped["04_pass_rate"] == {"pass_rate.too_easy": 15}
    assert dropped["05_diversity"] == {"diversity.not_selected": 11}
    kept = read_lines(result.run_dir / "05_diversity" / "kept.jsonl")
    per_question: dict[str, int] = {}
    for r in kept:
        per_question[r["question_id"]] = per_question.get(r["question_id"], 0) + 1
        assert set(r["verdicts"]) == {
            "think_format",
            "math_correct",
            "code_correct",
            "pass_rate",
            "diversity",
        }
    assert per_question == {"m2": 2, "m3": 2, "m5": 2, "c2": 2}
    summary = result.exports["llamafactory"]
    assert summary["rows"] == 8
    table = format_stage_table(result.stages)
    assert "05_diversity" in table and "pass_rate.too_easy=15" in table
    resolved = json.loads((result.run_dir / "config.resolved.json").read_text())
    assert resolved["seed"] == 7


def test_rerun_is_byte_identical(pool: Path) -> None:
    config = load_curation_config(write_config(pool, LIGHT_STAGES))
    first = outputs(run_curation(config, progress=False).run_dir)
    second = outputs(run_curation(config, progress=False).run_dir)
    assert first == second
    assert any(k.endswith("kept.jsonl") for k in first)


def test_resume_reuses_finished_stages_and_from_stage_reruns(pool: Path) -> None:
    config = load_curation_config(write_config(pool, LIGHT_STAGES))
    result = run_curation(config, progress=False)
    stats_path = result.run_dir / "01_think_format" / "stats.json"
    before = stats_path.stat().st_mtime_ns
    run_curation(config, resume=True, progress=False)
    assert stats_path.stat().st_mtime_ns == before
    diversity_stats = result.run_dir / "05_diversity" / "stats.json"
    d_before = diversity_stats.stat().st_mtime_ns
    time.sleep(0.01)
    run_curation(config, from_stage="diversity", progress=False)
    assert stats_path.stat().st_mtime_ns == before
    assert diversity_stats.stat().st_mtime_ns != d_before
    with pytest.raises(ConfigError, match="not a stage of this config"):
        run_curation(config, from_stage="nope", progress=False)


def test_from_stage_needs_finished_earlier_stages(pool: Path) -> None:
    config = load_curation_config(write_config(pool, LIGHT_STAGES))
    with pytest.raises(StageError, match="has no finished output"):
        run_curation(config, from_stage="diversity", progress=False)


def test_changed_params_invalidate_later_stages_on_resume(pool: Path) -> None:
    path = write_config(pool, LIGHT_STAGES)
    first = run_curation(load_curation_config(path), progress=False)
    pass_rate_stats = first.run_dir / "04_pass_rate" / "stats.json"
    before = pass_rate_stats.stat().st_mtime_ns
    changed = [*LIGHT_STAGES[:-1], {"diversity": {"k": 1}}]
    result = run_curation(load_curation_config(write_config(pool, changed)), resume=True, progress=False)
    assert result.stages[-1]["kept"] == 4  # one per question left
    assert pass_rate_stats.stat().st_mtime_ns == before


def test_ded_curate_cli_prints_the_stage_table(pool: Path) -> None:
    path = write_config(pool, LIGHT_STAGES)
    proc = subprocess.run(
        [str(BIN / "ded"), "curate", str(path), "--no-progress"],
        capture_output=True,
        text=True,
        env=ded_env(),
    )
    assert proc.returncode == 0, proc.stderr
    assert "01_think_format" in proc.stdout and "05_diversity" in proc.stdout
    assert "export llamafactory: 8 rows" in proc.stdout


def test_sigkill_mid_stage_then_resume_is_byte_identical(pool: Path, example_plugin_site: Path) -> None:
    stages = ["think_format", {"example.slow": {"seconds": 0.4, "batch_size": 3}}, {"diversity": {"k": 2}}]
    write_config(pool, stages, run="reference")
    env = ded_env(example_plugin_site)
    ref = subprocess.run(
        [str(BIN / "ded"), "curate", str(pool / "curate.yaml"), "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert ref.returncode == 0, ref.stderr
    expected = outputs(pool / "runs" / "reference")

    path = write_config(pool, stages, run="killed")
    run_dir = pool / "runs" / "killed"
    proc = subprocess.Popen(
        [str(BIN / "ded"), "curate", str(path), "--no-progress"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    partial = run_dir / "02_example.slow.partial"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(partial.glob("units/*.jsonl"))) < 3:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.05)
    workers = descendants(proc.pid)  # the forkserver and the stage's worker processes
    assert len(workers) >= 2
    os.kill(proc.pid, signal.SIGKILL)  # our own child, by pid
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while alive(workers) and time.monotonic() < deadline:  # they end with the process they served
        time.sleep(0.1)
    assert not alive(workers), f"worker processes left running after their `ded` was killed: {alive(workers)}"
    assert not (run_dir / "02_example.slow").exists()
    done_units = {p.name: p.stat().st_mtime_ns for p in partial.glob("units/*.jsonl")}
    assert len(done_units) >= 3

    resumed = subprocess.run(
        [str(BIN / "ded"), "curate", str(path), "--resume", "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    got = outputs(run_dir)
    # the two runs differ in name only; everything a stage wrote must be the same bytes
    assert got.pop("config.resolved.json") != expected.pop("config.resolved.json")
    assert got == expected
    assert not partial.exists()


def test_stage_finished_hook_sees_every_stage(pool: Path) -> None:
    from ded_plugins import hookimpl
    from ded_plugins.plugins import get_plugin_manager

    seen: list[tuple[str, int]] = []

    class Observer:
        @hookimpl
        def ded_stage_finished(self, stage: str, stats: dict[str, Any]) -> None:
            seen.append((stage, stats.get("kept", -1)))

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(Observer())
    run_curation(load_curation_config(write_config(pool, LIGHT_STAGES)), pm=pm, progress=False)
    assert [s for s, _ in seen] == [
        "01_think_format",
        "02_math_correct",
        "03_code_correct",
        "04_pass_rate",
        "05_diversity",
        "06_llamafactory",
    ]


def test_run_lock_refuses_a_second_process(pool: Path) -> None:
    import fcntl

    config = load_curation_config(write_config(pool, LIGHT_STAGES))
    config.run_dir.mkdir(parents=True)
    with (config.run_dir / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(StageError, match="another ded process"):
            run_curation(config, progress=False)


def test_python_is_this_venv() -> None:
    assert Path(sys.executable).parent == BIN
