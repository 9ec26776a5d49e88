"""The ``decontaminate`` stage in a real curation run: every rollout of a matched question dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pool_problems import generated_problems, read_jsonl

from ded_plugins.configs.curate import load_curation_config
from ded_plugins.engine import run_curation
from ded_plugins.errors import ConfigError
from ded_plugins.pool import contamination_report
from ded_plugins.processors.decontaminate import Decontaminate
from ded_plugins.records import Question, Rollout


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    problems = generated_problems(60, seed=21)
    _write(tmp_path / "bench.jsonl", [{"id": f"b{i}", "problem": t} for i, t in enumerate(problems[:5])])
    questions = [{"id": f"q{i}", "domain": "math", "prompt": t} for i, t in enumerate(problems[3:])]
    questions.append(
        {"id": "rewritten", "domain": "math", "prompt": "Solve this.  " + problems[1].replace("$", "")}
    )
    _write(tmp_path / "questions.jsonl", questions)
    rollouts = [
        {"question_id": q["id"], "model": "t", "sample_index": k, "text": f"<think>x</think> {k}"}
        for q in questions
        for k in range(3)
    ]
    _write(tmp_path / "rollouts.jsonl", rollouts)
    config = {
        "run": "decon",
        "output_dir": str(tmp_path / "runs"),
        "questions": {"path": "questions.jsonl"},
        "rollouts": ["rollouts.jsonl"],
        "stages": [{"decontaminate": {"against": [], "files": {"mine": "bench.jsonl"}}}],
    }
    result = run_curation(load_curation_config(config, base_dir=tmp_path), progress=False)
    return result.run_dir / "01_decontaminate"


def test_matched_questions_lose_every_rollout(run_dir: Path) -> None:
    stats = json.loads((run_dir / "stats.json").read_text())
    assert stats["dropped"] == {"decontaminate.mine": 9}  # q0, q1 (copies of b3, b4) and "rewritten" (b1)
    rejected = read_jsonl(run_dir / "rejected.jsonl")
    assert {r["question_id"] for r in rejected} == {"q0", "q1", "rewritten"}
    assert all(r["rejection"]["reason"] == "decontaminate.mine" for r in rejected)
    kept = {r["question_id"] for r in read_jsonl(run_dir / "kept.jsonl")}
    assert len(kept) == 55 and not kept & {"q0", "q1", "rewritten"}


def test_report_rebuilt_from_rejected_rows(run_dir: Path) -> None:
    matches = []
    seen = set()
    for row in read_jsonl(run_dir / "rejected.jsonl"):
        if row["question_id"] not in seen:
            seen.add(row["question_id"])
            matches += row["verdicts"]["decontaminate"]["details"]["matches"]
    report, md = contamination_report(matches)
    mine = report["benchmarks"]["mine"]
    assert mine["contaminated"] == 3
    assert {(m["pool_id"], m["benchmark_id"]) for m in mine["matches"]} == {
        ("q0", "b3"),
        ("q1", "b4"),
        ("rewritten", "b1"),
    }
    assert "pool `rewritten` ~ benchmark `b1`" in md


def test_one_verdict_per_question_and_checked_parameters(tmp_path: Path) -> None:
    bench = _write(tmp_path / "b.jsonl", [{"prompt": generated_problems(1)[0]}])
    stage = Decontaminate(against=[], files={"b": str(bench)})
    q = Question(id="x", domain="math", prompt=generated_problems(1)[0])
    verdicts = stage.process(
        [(q, Rollout(question_id="x", model="m", sample_index=i, text="")) for i in range(4)]
    )
    assert [v.passed for v in verdicts] == [False] * 4 and verdicts[0] is verdicts[3]
    with pytest.raises(ConfigError, match="unknown benchmark"):
        Decontaminate(against=["ded_nope"])
    with pytest.raises(ConfigError, match="fuzzy"):
        Decontaminate(against=[], files={"b": str(bench)}, fuzzy=150)
    with pytest.raises(ConfigError, match="name a local file under files"):
        Decontaminate(against=[f"b={bench}"])
