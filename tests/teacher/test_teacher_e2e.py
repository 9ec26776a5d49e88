"""``ded teacher`` end to end on CPU: two tiny local teachers, a tiny student, the real
``llamafactory-cli train`` and the real ``lm_eval``; a second run skips everything."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from ded_plugins.cli import main


DATA = Path(__file__).parent.parent / "data" / "teacher"
TASK = "teacher_e2e_math"


def _task_dir(tmp_path: Path) -> Path:
    """A tiny lm-eval task over local data: generation, exact match against the answer."""
    task_dir = tmp_path / "tasks"
    task_dir.mkdir()
    data = task_dir / "eval.jsonl"
    data.write_text(
        "".join(
            json.dumps({"question": q, "answer": a}) + "\n" for q, a in [("1 + 1 =", "2"), ("2 + 2 =", "4")]
        )
    )
    task = {
        "task": TASK,
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": str(data)}},
        "test_split": "test",
        "output_type": "generate_until",
        "doc_to_text": "{{question}}",
        "doc_to_target": "{{answer}}",
        "generation_kwargs": {"until": ["</think>"], "max_gen_toks": 6, "do_sample": False},
        "metric_list": [{"metric": "exact_match", "aggregation": "mean", "higher_is_better": True}],
        "metadata": {"version": 1.0},
    }
    (task_dir / f"{TASK}.yaml").write_text(yaml.safe_dump(task))
    return task_dir


def _math500(tmp_path: Path) -> Path:
    path = tmp_path / "math500.jsonl"
    rows = [
        {"problem": "What is $1 + 1$?", "answer": "2"},
        {"problem": "What is $2 \\cdot 3$?", "answer": "6"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from ded_plugins.tiny import build_tiny_model

    base = tmp_path_factory.mktemp("teacher-models")
    return {
        name: build_tiny_model(base / name, seed=seed) for name, seed in (("student", 0), ("a", 1), ("b", 2))
    }


@pytest.mark.slow
@pytest.mark.train
@pytest.mark.eval
def test_ded_teacher_end_to_end(
    tmp_path: Path,
    models: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    teacher = lambda name: {  # noqa: E731
        "name": f"teacher_{name}",
        "backend": {"transformers": {"model_path": str(models[name])}},
        "model_path": str(models[name]),
    }
    config: dict[str, Any] = {
        "run": "smoke",
        "questions": str(DATA / "questions.jsonl"),
        "student": str(models["student"]),
        "sampling": {"temperature": 1.0, "top_p": 1.0, "max_tokens": 24},
        "teachers": [teacher("a"), teacher("b")],
        "train": {"recipe": str(DATA / "tiny_smoke.yaml"), "overrides": {"max_steps": 1}},
        "eval": {
            # our own local task through --include_path, and DED's ded_math500 found by stock lm_eval
            # (the start-up autoload) on a local two-problem file
            "tasks": [TASK, "ded_math500"],
            "model": "hf",
            "model_args": {"dtype": "float32"},
            "include_path": str(_task_dir(tmp_path)),
            "env": {"DED_MATH500_PATH": str(_math500(tmp_path))},
            "baseline": True,
            "args": [
                "--device",
                "cpu",
                "--limit",
                "2",
                "--batch_size",
                "1",
                "--apply_chat_template",
                "--gen_kwargs",
                "max_gen_toks=8",
            ],
        },
        "metrics": [
            {"pass_rate": {"stages": ["think_format"]}},
            "length",
            {"token_entropy": {"scoring": "student"}},
            {"pca_shift": {"k": 4}},
        ],
    }
    (tmp_path / "teacher.yaml").write_text(yaml.safe_dump(config))
    main(["teacher", "teacher.yaml", "--no-progress"])
    first = capsys.readouterr().out
    run_dir = tmp_path / "runs" / "smoke" / "teacher"
    report = json.loads((run_dir / "report.json").read_text())
    assert sorted(report["ranking"]) == ["teacher_a", "teacher_b"]
    assert report["winner"] == report["ranking"][0]
    for name, t in report["teachers"].items():
        assert t["corpus_size"] == 4
        assert set(t["steps"]) == {
            "rollouts",
            "export",
            "train_run",
            "eval_run",
            "metric_pass_rate",
            "metric_length",
            "metric_token_entropy",
            "metric_pca_shift",
        }
        assert set(t["steps"].values()) == {"ran"}
        assert 0.0 <= t["scores"][TASK]["score"] <= 1.0
        assert t["scores"][TASK]["metric"] == "exact_match,none"
        assert t["scores"]["ded_math500"]["metric"] == "pass@1,none"
        assert t["aggregate"] == pytest.approx(
            (t["scores"][TASK]["score"] + t["scores"]["ded_math500"]["score"]) / 2
        )
        assert t["metrics"]["pass_rate"]["total"] == 4
        assert t["metrics"]["token_entropy"]["tokens"] > 0
        assert len(t["metrics"]["pca_shift"]["per_layer"]["questions"]) == 3  # embeddings + 2 layers
        assert t["metrics"]["pca_shift"]["dis"]["questions"] > 0  # training moved the student
        tdir = run_dir / name
        assert (tdir / "model" / "model.safetensors").is_file()
        assert sum(1 for _ in (tdir / "rollouts.jsonl").open()) == 4
        for log in ("rollouts", "export", "train", "eval"):
            assert (tdir / "logs" / f"{log}.log").stat().st_size > 0, log
        assert "llamafactory-cli" in (tdir / "logs" / "train.log").read_text().splitlines()[0]
    assert set(report["baseline"]["scores"]) == {TASK, "ded_math500"}
    assert report["baseline"]["steps"] == {"eval_run": "ran"}
    md = (run_dir / "report.md").read_text()
    assert "| - | student without SFT |" in md
    head = "\n".join(md.splitlines()[:12])
    assert f"**Winner: {report['winner']}**" in head
    assert "| rank | teacher | aggregate |" in head
    assert "ours, not the paper's" in md
    # intervals from the logged samples (lm_eval ran with --log_samples), and the noise verdict
    assert isinstance(report["winner_within_noise"], bool)
    assert "## Is the ranking larger than the noise?" in md
    for name in report["ranking"]:
        iv = report["noise"]["intervals"][name]
        assert set(iv) == {TASK, "ded_math500", "aggregate"}
        assert iv["aggregate"]["value"] == pytest.approx(report["teachers"][name]["aggregate"])
        assert iv[TASK]["questions"] == 2 and iv[TASK]["samples"] == 2  # exact_match: one per question
    assert report["noise"]["pairs"][0]["higher"] == report["winner"]
    import matplotlib.pyplot as plt

    for png in ("scores.png", "entropy.png", "pca_shift.png"):
        data = (run_dir / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", png
        image = plt.imread(run_dir / png)
        assert image.ndim == 3
        assert image.shape[0] > 100
        assert image.shape[1] > 100
        assert f"]({png})" in md
    assert f"winner: {report['winner']}" in first

    # second run: every step is skipped, the results are the same
    stamps = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*") if p.is_file() and "model" in p.parts}
    main(["teacher", "teacher.yaml", "--no-progress"])
    again = json.loads((run_dir / "report.json").read_text())
    for name, t in again["teachers"].items():
        assert set(t["steps"].values()) == {"skipped"}, t["steps"]
        assert t["scores"] == report["teachers"][name]["scores"]
        assert t["metrics"] == report["teachers"][name]["metrics"]
    assert again["baseline"]["steps"] == {"eval_run": "skipped"}
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # nothing retrained
    assert os.environ.get("HF_HUB_OFFLINE") == "1"

    # a deleted model is trained again, and everything measured on it is measured again
    import shutil

    shutil.rmtree(run_dir / "teacher_b" / "model")
    main(["teacher", "teacher.yaml", "--no-progress"])
    fourth = json.loads((run_dir / "report.json").read_text())
    assert set(fourth["teachers"]["teacher_b"]["steps"].values()) - {"ran"} == {"skipped"}
    skipped = {s for s, v in fourth["teachers"]["teacher_b"]["steps"].items() if v == "skipped"}
    assert skipped == {"rollouts", "export"}
    assert set(fourth["teachers"]["teacher_a"]["steps"].values()) == {"skipped"}
    assert (run_dir / "teacher_b" / "model" / "model.safetensors").is_file()

    # a changed metric parameter re-runs that metric only
    config["metrics"][3] = {"pca_shift": {"k": 3}}
    (tmp_path / "teacher.yaml").write_text(yaml.safe_dump(config))
    main(["teacher", "teacher.yaml", "--no-progress"])
    third = json.loads((run_dir / "report.json").read_text())
    for t in third["teachers"].values():
        assert [s for s, v in t["steps"].items() if v == "ran"] == ["metric_pca_shift"]
        assert t["metrics"]["pca_shift"]["k"] == 3
