"""Every kind of bad input: one clear paragraph naming file, line and field; exit 2; no traceback;
nothing written for the failing stage, earlier stages left intact."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_support import BIN, ded_env

from ded_plugins.cli import main


def config(pool: Path, **overrides: Any) -> Path:
    cfg: dict[str, Any] = {
        "run": "bad",
        "output_dir": str(pool / "runs"),
        "questions": {"path": "questions.jsonl"},
        "rollouts": ["teacher_a.jsonl"],
        "stages": ["think_format", {"diversity": {"k": 2}}],
    }
    cfg.update(overrides)
    path = pool / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def run(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main(["curate", str(path), "--no-progress", *args])
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert "Traceback" not in err
    assert err.startswith("error: ")
    return err


def test_malformed_json_line(pool: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = (pool / "teacher_a.jsonl").read_text().splitlines()
    lines[3] = lines[3][:-5]
    (pool / "teacher_a.jsonl").write_text("\n".join(lines) + "\n")
    err = run(config(pool), capsys)
    assert f"{pool / 'teacher_a.jsonl'}:4: malformed JSON" in err
    assert not (pool / "runs" / "bad" / "01_think_format").exists()


def test_missing_field(pool: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [json.loads(x) for x in (pool / "teacher_a.jsonl").read_text().splitlines()]
    del rows[1]["text"]
    (pool / "teacher_a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    err = run(config(pool), capsys)
    assert "teacher_a.jsonl:2: field 'text': missing required field" in err


def test_mistyped_field(pool: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [json.loads(x) for x in (pool / "teacher_a.jsonl").read_text().splitlines()]
    rows[2]["sample_index"] = "two"
    (pool / "teacher_a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    err = run(config(pool), capsys)
    assert "teacher_a.jsonl:3: field 'sample_index': expected integer, found str 'two'" in err


def test_non_utf8_bytes(pool: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = (pool / "questions.jsonl").read_bytes().splitlines(keepends=True)
    data[1] = data[1].replace(b"Compute", b"Comp\xffute")
    (pool / "questions.jsonl").write_bytes(b"".join(data))
    err = run(config(pool), capsys)
    assert "questions.jsonl:2: not valid UTF-8" in err


def test_empty_file(pool: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (pool / "teacher_a.jsonl").write_text("\n")
    err = run(config(pool), capsys)
    assert "teacher_a.jsonl: file is empty" in err


def test_duplicate_question_ids(pool: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = (pool / "questions.jsonl").read_text().splitlines()
    (pool / "questions.jsonl").write_text("\n".join([*lines, lines[0]]) + "\n")
    err = run(config(pool), capsys)
    assert (
        f"questions.jsonl:{len(lines) + 1}: field 'id': duplicate question id 'm1' (first at line 1)" in err
    )


def test_rollout_for_unknown_question(pool: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (pool / "teacher_a.jsonl").open("a") as fh:
        fh.write(
            json.dumps({"question_id": "zz9", "model": "teacher_a", "sample_index": 0, "text": "x"}) + "\n"
        )
    err = run(config(pool), capsys)
    assert "teacher_a.jsonl:22: field 'question_id': rollout for unknown question 'zz9'" in err


def test_duplicate_rollout(pool: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = (pool / "teacher_a.jsonl").read_text().splitlines()[0]
    with (pool / "teacher_a.jsonl").open("a") as fh:
        fh.write(first + "\n")
    err = run(config(pool), capsys)
    assert "teacher_a.jsonl:22: field 'sample_index': duplicate rollout 'm1/teacher_a/0'" in err


def test_unknown_config_key_lists_accepted_ones(pool: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = run(config(pool, stagez=[]), capsys)
    assert "bad.yaml:" in err
    assert "unknown key 'stagez'; accepted: run, output_dir, seed, questions, rollouts, stages, export" in err


def test_unknown_component(pool: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = run(config(pool, stages=["think_format", "divrsity"]), capsys)
    assert "bad.yaml:" in err and "stages[1]" in err
    assert "unknown processor or selector 'divrsity'; registered:" in err
    assert "diversity" in err


def test_bad_parameters_are_all_reported_at_once(pool: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stages = [{"think_format": {"open": "<t>"}}, {"diversity": {"k": "four"}}]
    err = run(config(pool, stages=stages, seed="x"), capsys)
    assert "3 problems" in err
    assert "unknown parameter 'open' for processor 'think_format'; accepted: open_tag, close_tag" in err
    assert "stages[1].diversity.k: expected int, found str 'four'" in err
    assert "seed: expected int, found str 'x'" in err


def test_malformed_yaml_names_the_line(pool: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = pool / "broken.yaml"
    path.write_text("run: x\nstages:\n  - think_format\n  key: value\n")
    err = run(path, capsys)
    assert f"{path}:4: malformed YAML" in err


def test_failing_stage_writes_nothing_and_keeps_earlier_stages(
    pool: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = config(pool, stages=["think_format"])
    main(["curate", str(good), "--no-progress"])
    assert "01_think_format" in capsys.readouterr().out
    first = pool / "runs" / "bad" / "01_think_format"
    kept_before = (first / "kept.jsonl").read_bytes()
    (pool / "student.jsonl").write_text('{"question_id": "m1", "model": "student", "sample_index": 0}\n')
    stages = [
        "think_format",
        {"pass_rate": {"student_rollouts": "student.jsonl", "graders": ["think_format"]}},
    ]
    err = run(config(pool, stages=stages), capsys, "--resume")
    assert "student.jsonl:1: field 'text': missing required field" in err
    assert (first / "kept.jsonl").read_bytes() == kept_before
    assert not (pool / "runs" / "bad" / "02_pass_rate").exists()


def test_real_process_exit_code_and_no_traceback(pool: Path) -> None:
    path = config(pool, rollouts=["missing.jsonl"])
    proc = subprocess.run(
        [str(BIN / "ded"), "curate", str(path)], capture_output=True, text=True, env=ded_env()
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "bad.yaml:" in proc.stderr and "rollouts[0]: rollout file not found:" in proc.stderr
    assert "missing.jsonl" in proc.stderr
