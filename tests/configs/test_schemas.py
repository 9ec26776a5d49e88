"""The one config checker, through the three schemas: every problem at once, each with file, line and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ded_plugins.cli import main


DATA = Path(__file__).resolve().parents[1] / "data" / "teacher"


def _teacher_yaml(tmp_path: Path, train: str, evaluation: str) -> Path:
    text = f"""run: t
questions: {DATA / "questions.jsonl"}
student: some/student
teachers:
  - name: qwq
    rollouts: {DATA / "questions.jsonl"}
train:
  recipe: {DATA / "tiny_smoke.yaml"}
{train}
eval:
  tasks: [ded_aime24]
{evaluation}
"""
    path = tmp_path / "teacher.yaml"
    path.write_text(text)
    return path


def _errors(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert "Traceback" not in err
    return err


def test_malformed_teacher_train_and_eval_values_are_errors_not_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _teacher_yaml(
        tmp_path,
        "  overrides: [num_train_epochs, 3]\n  env: {CUDA_VISIBLE_DEVICES: [0, 1]}",
        "  model_args: tensor_parallel_size=8\n  env: not-a-mapping",
    )
    err = _errors(capsys, ["teacher", str(path)])
    assert "4 problems" in err
    lines = path.read_text().splitlines()

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(lines, start=1) if text in line)

    for key, text, message in (
        ("train.overrides", "overrides:", "expected dict, found list"),
        ("train.env.CUDA_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES", "expected a string or number"),
        ("eval.model_args", "model_args:", "expected dict, found str"),
        ("eval.env", "env: not-a-mapping", "expected dict, found str"),
    ):
        assert re.search(rf"{re.escape(str(path))}:{line_of(text)}: {re.escape(key)}: {message}", err), (
            key,
            err,
        )


def test_malformed_rollout_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rollout.yaml"
    path.write_text(
        f"output: out.jsonl\nmodel: m\nsamples: 0\nquestions: {DATA / 'questions.jsonl'}\n"
        "sampling: {temperature: hot, top_p: 2}\n"
        "backend: {openai: {base_url: x, model: m, concurrency: many}}\n"
    )
    err = _errors(capsys, ["rollout", str(path)])
    for needle in (
        f"{path}:3: samples: expected an integer >= 1, found 0",
        f"{path}:5: sampling.temperature: expected float, found str 'hot'",
        f"{path}:5: sampling.top_p: expected a number in (0, 1], found 2",
        f"{path}:6: backend.openai.concurrency: expected int, found str 'many'",
    ):
        assert needle in err, (needle, err)


def test_one_path_rule_names_the_likely_mistake(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Inputs are relative to the config file; a path that only exists from the current directory says so."""
    (tmp_path / "conf").mkdir()
    (tmp_path / "pool.jsonl").write_text('{"id": "q", "domain": "math", "prompt": "p"}\n')
    path = tmp_path / "conf" / "c.yaml"
    path.write_text("run: r\nquestions: pool.jsonl\nrollouts: [pool.jsonl]\nstages: [think_format]\n")
    import os

    before = Path.cwd()
    os.chdir(tmp_path)
    try:
        err = _errors(capsys, ["curate", str(path)])
    finally:
        os.chdir(before)
    assert f"{path}:2: questions.path: question pool not found: {tmp_path / 'conf' / 'pool.jsonl'}" in err
    assert "input paths are relative to the config file" in err
