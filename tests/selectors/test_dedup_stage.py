"""The ``dedup`` stage in a real curation run: a duplicate question's rollouts go, the first stays."""

from __future__ import annotations

import json
from pathlib import Path

from pool_problems import generated_problems, read_jsonl

from ded_plugins.configs.curate import load_curation_config
from ded_plugins.engine import run_curation


def test_dedup_stage_drops_later_duplicates(tmp_path: Path) -> None:
    problems = generated_problems(30, seed=4)
    questions = [{"id": f"q{i}", "domain": "math", "prompt": t} for i, t in enumerate(problems)]
    questions.insert(5, {"id": "late-copy", "domain": "math", "prompt": "  " + problems[20].upper()})
    digit = next(ch for ch in problems[2] if ch.isdigit())
    renumbered = problems[2].replace(digit, str((int(digit) + 1) % 10), 1)
    questions.append({"id": "renumbered", "domain": "math", "prompt": renumbered})
    (tmp_path / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    rollouts = [
        {"question_id": q["id"], "model": "t", "sample_index": k, "text": f"<think>x</think> {k}"}
        for q in questions
        for k in range(2)
    ]
    (tmp_path / "rollouts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rollouts))
    config = {
        "run": "dedup",
        "output_dir": str(tmp_path / "runs"),
        "questions": {"path": "questions.jsonl"},
        "rollouts": ["rollouts.jsonl"],
        "stages": [{"dedup": {"threshold": 0.8}}],
    }
    run_dir = (
        run_curation(load_curation_config(config, base_dir=tmp_path), progress=False).run_dir / "01_dedup"
    )
    rejected = read_jsonl(run_dir / "rejected.jsonl")
    # pool order: "late-copy" comes before q20, so q20 is the duplicate
    assert {r["question_id"] for r in rejected} == {"q20"}
    assert all(r["rejection"]["reason"] == "dedup.duplicate" for r in rejected) and len(rejected) == 2
    details = rejected[0]["verdicts"]["dedup"]["details"]
    assert details == {"kept": "late-copy", "method": "exact", "similarity": 1.0}
    assert json.loads((run_dir / "stats.json").read_text())["questions_kept"] == 31
