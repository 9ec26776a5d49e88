"""A stage is reused only when everything it read is unchanged: files named by parameters included.

The case that once served stale data: a curation whose student samples are replaced in place
between two runs. ``--resume`` must re-grade them, re-run ``pass_rate`` and everything after it,
and export what a fresh run exports.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ded_plugins.configs.curate import load_curation_config
from ded_plugins.engine import run_curation


QUESTIONS = [
    {"id": "q1", "domain": "math", "prompt": "What is 2 + 3?", "answer": "5"},
    {"id": "q2", "domain": "math", "prompt": "What is 4 * 4?", "answer": "16"},
]
GOLD = {"q1": "5", "q2": "16"}


def _rollout(qid: str, model: str, i: int, answer: str, role: str = "teacher") -> dict[str, Any]:
    text = f"<think>\nworking it out\n</think>\n\nThe answer is $\\boxed{{{answer}}}$."
    return {"question_id": qid, "model": model, "sample_index": i, "role": role, "text": text}


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _student(path: Path, *, solves: bool) -> None:
    _write(
        path,
        [_rollout(q, "student", i, GOLD[q] if solves else "0", "student") for q in GOLD for i in range(2)],
    )


def _config(tmp_path: Path, run: str = "r") -> Path:
    config = {
        "run": run,
        "output_dir": str(tmp_path / "runs"),
        "questions": "questions.jsonl",
        "rollouts": ["teacher.jsonl"],
        "stages": ["think_format", "math_correct", {"pass_rate": {"student_rollouts": "student.jsonl"}}],
        "export": [{"llamafactory": {"dataset_dir": str(tmp_path / f"data_{run}"), "dataset_name": "d"}}],
    }
    path = tmp_path / f"{run}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_replaced_student_file_reruns_pass_rate_on_resume(tmp_path: Path) -> None:
    _write(tmp_path / "questions.jsonl", QUESTIONS)
    _write(tmp_path / "teacher.jsonl", [_rollout(q, "teacher", 0, a) for q, a in GOLD.items()])
    _student(tmp_path / "student.jsonl", solves=True)
    first = run_curation(load_curation_config(_config(tmp_path)), progress=False)
    assert first.exports["llamafactory"]["rows"] == 0  # the student solves everything

    _student(tmp_path / "student.jsonl", solves=False)  # replaced in place, same name
    resumed = run_curation(load_curation_config(_config(tmp_path)), resume=True, progress=False)
    assert resumed.exports["llamafactory"]["rows"] == 2
    # the student's samples are an input of the run: re-read, re-graded, re-counted, re-exported
    assert resumed.ran == (
        "00_input",
        "01_think_format",
        "02_math_correct",
        "03_pass_rate",
        "04_llamafactory",
    )
    fresh = run_curation(load_curation_config(_config(tmp_path, run="fresh")), progress=False)
    assert fresh.exports["llamafactory"]["rows"] == 2
    for name in ("kept.jsonl", "rejected.jsonl", "student.jsonl"):
        got = (resumed.run_dir / "03_pass_rate" / name).read_bytes()
        assert got == (fresh.run_dir / "03_pass_rate" / name).read_bytes()
    again = run_curation(load_curation_config(_config(tmp_path)), resume=True, progress=False)
    assert again.ran == ()  # nothing changed: nothing runs


def test_the_new_rollouts_form_and_the_earlier_one_are_the_same_run(tmp_path: Path) -> None:
    _write(tmp_path / "questions.jsonl", QUESTIONS)
    _write(tmp_path / "teacher.jsonl", [_rollout(q, "teacher", 0, a) for q, a in GOLD.items()])
    _student(tmp_path / "student.jsonl", solves=False)
    old = load_curation_config(_config(tmp_path))
    raw = yaml.safe_load(_config(tmp_path).read_text())
    raw["rollouts"] = ["teacher.jsonl", {"path": "student.jsonl", "role": "student"}]
    raw["stages"][2] = "pass_rate"
    new = load_curation_config(raw, base_dir=tmp_path)
    assert old.rollouts == new.rollouts
    assert [(s.name, s.params) for s in old.stages] == [(s.name, s.params) for s in new.stages]
