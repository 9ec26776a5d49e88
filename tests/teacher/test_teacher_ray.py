"""``ded teacher`` on a real Ray cluster: each teacher's steps as one job, teachers side by side.

Training and evaluation are stand-in commands (``stand_in_steps.py``; the real
``llamafactory-cli`` and ``lm_eval`` run in ``test_teacher_e2e.py``): the subject here is
that the jobs run in parallel on their own (logical) GPUs with the same step markers as a
local run, and that a second run skips every step.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ded_plugins.errors import ClusterError, ConfigError
from ded_plugins.teacher.smoke import run_teacher_selection


pytestmark = [pytest.mark.ray, pytest.mark.timeout(300)]

DATA = Path(__file__).parent.parent / "data" / "teacher"
STAND_IN = str(Path(__file__).parent / "stand_in_steps.py")


def _rollouts(path: Path, model: str) -> Path:
    questions = [json.loads(line) for line in (DATA / "questions.jsonl").read_text().splitlines()]
    path.write_text(
        "".join(
            json.dumps(
                {
                    "question_id": q["id"],
                    "model": model,
                    "sample_index": 0,
                    "text": f"<think>\n{model} thinks.\n</think>\n\n\\boxed{{{q.get('answer', '')}}}",
                }
            )
            + "\n"
            for q in questions
        )
    )
    return path


def _config(tmp_path: Path, **executor: Any) -> Path:
    config = {
        "run": "smoke",
        "output_dir": str(tmp_path / "runs"),
        "questions": str(DATA / "questions.jsonl"),
        "student": "some/student",
        "teachers": [
            {"name": "teacher_a", "rollouts": str(_rollouts(tmp_path / "a.jsonl", "teacher_a"))},
            {"name": "teacher_bb", "rollouts": str(_rollouts(tmp_path / "b.jsonl", "teacher_bb"))},
        ],
        "train": {
            "recipe": str(DATA / "tiny_smoke.yaml"),
            "command": [sys.executable, STAND_IN, "train", f"meet={tmp_path / 'meet'}:2"],  # the two teachers
        },
        "eval": {"tasks": ["ded_math500"], "command": [sys.executable, STAND_IN, "eval"]},
        "metrics": ["pass_rate"],
        "executor": {"ray": executor},
    }
    path = tmp_path / "teacher.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_teachers_run_side_by_side_on_their_own_gpus(tmp_path: Path, ray_cluster: Any) -> None:
    config = _config(tmp_path, gpus_per_teacher=2)  # a node's two GPUs each: one teacher per node
    report = run_teacher_selection(config, progress=False)
    run_dir = tmp_path / "runs" / "smoke" / "teacher"
    where = {t: json.loads((run_dir / t / "model" / "where.json").read_text()) for t in report["teachers"]}
    a, b = where["teacher_a"], where["teacher_bb"]
    assert a["start"] < b["end"] and b["start"] < a["end"]  # the two trainings overlapped
    for w in where.values():
        assert len(w["cuda"].split(",")) == 2  # each job saw the two GPUs Ray gave it
    assert report["ranking"] == ["teacher_bb", "teacher_a"]  # scores from the stand-in's "models"
    for t in report["teachers"].values():
        assert set(t["steps"].values()) == {"given", "ran"}
        assert t["corpus_size"] == 4
    for name in ("teacher_a", "teacher_bb"):
        for step in ("export", "train_run", "eval_run", "metric_pass_rate"):
            assert (run_dir / name / "steps" / f"{step}.json").is_file()
    # the same step markers as a local run: a second run on the cluster skips every step
    again = run_teacher_selection(config, progress=False)
    for t in again["teachers"].values():
        assert set(t["steps"].values()) == {"given", "skipped"}
    assert again["ranking"] == report["ranking"]


def test_a_teacher_too_big_for_any_node_is_refused(tmp_path: Path, ray_cluster: Any) -> None:
    with pytest.raises(ClusterError, match="needs 1 CPU and 4 GPU on one node"):
        run_teacher_selection(_config(tmp_path, gpus_per_teacher=4), progress=False)
    assert not (tmp_path / "runs").exists()
    with pytest.raises(ConfigError, match=r"unknown parameter 'gpus' for the smoke test on Ray"):
        run_teacher_selection(_config(tmp_path, gpus=4), progress=False)
