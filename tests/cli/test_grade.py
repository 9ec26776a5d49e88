"""``ded grade``: one response (text or file) or a pairs file, with the reasons on request."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from cli_support import BIN, ded_env

from ded_plugins.cli import main


def ded(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real ``ded`` binary."""
    return subprocess.run(
        [str(BIN / "ded"), *args], input=stdin, capture_output=True, text=True, env=ded_env(), check=False
    )


def test_one_response_prints_the_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    main(["grade", "so the answer is \\boxed{x=25}", "--gold", "025"])
    assert capsys.readouterr().out == "correct: x=25\n"


def test_explain_prints_the_forms_and_the_rule(capsys: pytest.CaptureFixture[str]) -> None:
    main(["grade", "\\boxed{x \\lt 3}", "--gold", "x \\gt 3", "--explain"])
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "verdict:   wrong"
    assert out[1] == "extracted: x \\lt 3 (boxed)"
    assert out[2] == "gold:      x \\gt 3  ->  relation 3 < x"
    assert out[3] == "answer:    relation x < 3"
    assert out[4].startswith("rule:      relation:")


def test_a_response_file_and_stdin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    response = tmp_path / "response.txt"
    response.write_text("<think>maybe \\boxed{7}</think>\nThe answer is $\\boxed{1 000}$.", encoding="utf-8")
    main(["grade", str(response), "--gold", "1000"])
    assert capsys.readouterr().out == "correct: 1 000\n"
    run = ded("grade", "-", "--gold", "7", stdin="<think>\\boxed{7}</think> so \\boxed{8}")
    assert (run.returncode, run.stdout) == (0, "wrong: 8\n")


def test_jsonl_prints_one_explanation_per_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        {"id": 1, "response": "\\boxed{x = 2y + 3}", "gold": "y = 2x + 3"},
        {"response": "<think>\\boxed{5}", "gold": "5"},
        {"response": "\\boxed{\\frac{7}{32}}", "gold": "S_{MBCN}:S = 7:32"},
    ]
    pairs.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    main(["grade", "--jsonl", str(pairs)])
    captured = capsys.readouterr()
    out = [json.loads(line) for line in captured.out.splitlines()]
    assert [(o.get("id"), o["correct"], o["reason"]) for o in out] == [
        ("1", False, "wrong"),
        (None, False, "no_answer"),
        (None, True, "correct"),
    ]
    assert out[0]["decided_by"] == "different names (y vs x)" and out[0]["gold_form"] == "y := value 2*x + 3"
    assert captured.err.strip().endswith("1/3 correct")


def test_bad_input_is_one_error_and_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "pairs.jsonl"
    bad.write_text('{"response": "1"}\n', encoding="utf-8")
    for args in (
        ["grade", "--jsonl", str(bad)],
        ["grade", "\\boxed{1}"],
        ["grade", "--jsonl", str(bad), "--gold", "1"],
    ):
        run = ded(*args)
        assert run.returncode == 2, (args, run.stderr)
        assert run.stderr.startswith("error: ") and "Traceback" not in run.stderr and run.stdout == ""
    assert "pairs.jsonl:1: field 'gold': missing required field" in ded("grade", "--jsonl", str(bad)).stderr


def test_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--help"])
    assert re.search(
        r"\n  grade +Grade a math answer against a gold answer, and say why\.\n", capsys.readouterr().out
    )
