"""The demo (the README's `make demo` runs `ded demo`) end to end, with smaller settings so it cannot rot."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cli_support import BIN, ded_env


@pytest.mark.slow
def test_ded_demo_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "demo"
    proc = subprocess.run(
        [str(BIN / "ded"), "demo", "--out", str(out), "--fast"],
        capture_output=True,
        text=True,
        env=ded_env(),
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "winner teacher:" in proc.stdout
    assert "06_diversity" in proc.stdout  # the stage table
    report = out / "smoke" / "teacher" / "report.md"
    assert report.is_file()
    # the teacher report shows intervals and says whether the winner's lead is larger than the noise
    md = report.read_text()
    winner = md.splitlines()[2]
    assert "within noise" in winner or "larger than the noise" in winner, winner
    assert "## Is the ranking larger than the noise?" in md
    teacher = json.loads((out / "smoke" / "teacher" / "report.json").read_text())
    assert isinstance(teacher["winner_within_noise"], bool)
    assert ("(within noise)" in winner) is teacher["winner_within_noise"]
    iv = teacher["noise"]["intervals"][teacher["winner"]]["ded_math500"]
    assert iv["low"] <= iv["value"] <= iv["high"]
    assert f"[{iv['low']:.3f}, {iv['high']:.3f}]" in md
    pngs = list((out / "smoke" / "teacher").glob("*.png"))
    assert pngs
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    stats = sorted((out / "curate").glob("0[1-9]_*/stats.json"))
    assert [p.parent.name for p in stats][:6] == [
        "01_length",
        "02_think_format",
        "03_math_correct",
        "04_code_correct",
        "05_pass_rate",
        "06_diversity",
    ]
    for p in stats[:6]:
        s = json.loads(p.read_text())
        assert s["input"] == s["kept"] + s["rejected"]
    assert json.loads(stats[5].read_text())["kept"] > 0
    assert list((out / "checkpoint").glob("*.safetensors"))
    results = list((out / "eval").rglob("results_*.json"))
    assert results
    assert "pass@1,none" in json.loads(results[0].read_text())["results"]["ded_math500"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["winner"] in ("teacher_a", "teacher_b")
    train_log = (out / "logs" / "train.log").read_text()
    assert "01_length" in train_log  # curated again by the start-up hook inside llamafactory-cli
    # every recipe the demo ran is there to run again by hand
    assert sorted(p.name for p in (out / "recipes").glob("*.yaml")) == [
        "curate.yaml",
        "ded_demo.yaml",
        "rollout_student.yaml",
        "rollout_teacher_a.yaml",
        "rollout_teacher_b.yaml",
        "teacher.yaml",
    ]
    _every_stage_reads_back(out / "curate")


def _every_stage_reads_back(run_dir: Path) -> None:
    """`ded show` on every stage of the demo's curation: rows come back whole, text included."""
    from ded_plugins.engine.show import format_row, read_stage, stage_dirs

    for stage in stage_dirs(run_dir):
        if not (stage / "kept.jsonl").is_file():
            continue  # the exporter's directory
        kept = (stage / "kept.jsonl").read_text().splitlines()
        rows = list(read_stage(run_dir, stage.name))
        assert len(rows) == len(kept), stage.name
        assert all(r.rollout.text and r.question.prompt for r in rows)
        rejected = list(read_stage(run_dir, stage.name, rejected=True))
        assert len(rejected) == len((stage / "rejected.jsonl").read_text().splitlines())
        assert all(
            r.rejection is not None and r.rejection.reason.startswith(stage.name[3:]) for r in rejected
        )
        students = list(read_stage(run_dir, stage.name, role="student"))
        assert all(r.rollout.role == "student" for r in students)
        if rows:
            text = format_row(rows[0])
            assert rows[0].rollout.question_id in text and "--- question" in text
        proc = subprocess.run(
            [str(BIN / "ded"), "show", str(run_dir), stage.name, "--rejected", "-n", "2"],
            capture_output=True,
            text=True,
            env=ded_env(),
        )
        assert proc.returncode == 0, proc.stderr
        assert "00_input" in proc.stdout  # the stage table comes first
