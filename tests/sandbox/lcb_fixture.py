"""A tiny LiveCodeBench-format file written by the tests (public + encoded private tests)."""

from __future__ import annotations

import base64
import json
import pickle
import zlib
from pathlib import Path
from typing import Any


def encode_private(tests: list[dict[str, str]]) -> str:
    """Upstream's encoding: JSON text, pickled, zlib-compressed, base64."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()


def row(
    qid: str, date: str, difficulty: str, public: list[Any], private: list[Any], **extra: Any
) -> dict[str, Any]:
    return {
        "question_title": qid,
        "question_content": f"Problem {qid}.",
        "platform": "atcoder",
        "question_id": qid,
        "contest_id": "c1",
        "contest_date": f"{date}T00:00:00",
        "starter_code": extra.get("starter_code", ""),
        "difficulty": difficulty,
        "public_test_cases": json.dumps(public),
        "private_test_cases": encode_private(private),
        "metadata": json.dumps(extra.get("metadata", {})),
    }


def write_lcb(path: Path) -> Path:
    """Three problems in the DED window (easy stdin, medium call-based, hard) and one before it."""
    add = [{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]
    add_private = [{"input": "5 7\n", "output": "12\n", "testtype": "stdin"}]
    double = [{"input": "4", "output": "8", "testtype": "functional"}]
    rows = [
        row("abc400_a", "2025-03-01", "easy", add, add_private),
        row(
            "double-it",
            "2025-04-12",
            "medium",
            double,
            [{"input": "21", "output": "42", "testtype": "functional"}],
            starter_code="class Solution:\n    def double(self, x: int) -> int:\n        ",
            metadata={"func_name": "double"},
        ),
        row("abc401_g", "2025-05-01", "hard", [], [{"input": "3\n", "output": "9\n", "testtype": "stdin"}]),
        row("abc380_a", "2024-11-20", "easy", add, add_private),
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


#: right and wrong answers per problem, fenced as a model would answer
ANSWERS = {
    "abc400_a": ("a, b = map(int, input().split())\nprint(a + b)", "print(0)"),
    "double-it": (
        "class Solution:\n    def double(self, x):\n        return 2 * x",
        "class Solution:\n    def double(self, x):\n        return x",
    ),
    "abc401_g": ("n = int(input())\nprint(n * n)", "while True:\n    pass"),
}
