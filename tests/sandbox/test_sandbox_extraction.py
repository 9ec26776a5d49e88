"""Extraction parity with the official o1 result files: extracted code == their code_list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ded_plugins.grading import extract_code


REPO = Path(__file__).resolve().parents[2]
O1_FILES = ("lcb_eval_all_o1-mini-2024-09-12_n1.json", "lcb_eval_all_o1-preview-2024-09-12_n1.json")


def _code_data() -> Path:
    for path in (REPO.parent / "shared" / "data" / "code", Path("/work/shared/data/code")):
        if all((path / name).is_file() for name in O1_FILES):
            return path
    pytest.skip("official o1 result files not found (expected ../shared/data/code beside the repo)")


def test_official_o1_outputs_extract_to_their_code_list() -> None:
    data = _code_data()
    total = 0
    mismatches = []
    for name in O1_FILES:
        for row in json.loads((data / name).read_text(encoding="utf-8")):
            for output, code in zip(row["output_list"], row["code_list"], strict=True):
                total += 1
                if extract_code(output) != code:
                    mismatches.append((name, row["question_id"]))
    assert total == 1760
    assert not mismatches


@pytest.mark.parametrize(
    ("response", "code"),
    [
        ("```python\nprint(1)\n```", "print(1)"),
        ("think ```inline``` more\n```python\nx = 1\n```\ntrailing", "x = 1"),
        ("<think>\n```python\nwrong\n```\n</think>\n```python\nright\n```", "right"),
        ("```python\nunterminated", ""),
        ("no code at all", ""),
    ],
)
def test_last_two_fence_lines(response: str, code: str) -> None:
    assert extract_code(response) == code


def test_base_model_keeps_the_whole_response() -> None:
    assert extract_code("  def f():\n    return 1\n", base_model=True) == "def f():\n    return 1"
