"""The shared benchmark data for grading tests (MATH-500, AIME, HardVerify), found beside the repo."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


REPO = Path(__file__).resolve().parents[2]
_CANDIDATES = (REPO.parent / "shared" / "data", Path("/work/shared/data"))

Rows = Callable[[str], list[dict[str, Any]]]


@pytest.fixture(scope="session")
def shared_rows() -> Rows:
    """``shared_rows("math500.jsonl")``: the rows of a shared data file; skips where it is absent."""

    def rows(name: str) -> list[dict[str, Any]]:
        for base in _CANDIDATES:
            path = base / name
            if path.is_file():
                return [
                    json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
                ]
        pytest.skip(f"shared data {name} not found (expected ../shared/data beside the repo)")

    return rows


@pytest.fixture(scope="session")
def real_golds(shared_rows: Rows) -> list[tuple[str, str]]:
    """``(source, gold)`` for every gold answer of MATH-500, AIME 2024 and AIME 2025."""
    return [
        (f"{name}:{i}", str(row["answer"]))
        for name in ("math500.jsonl", "aime24.jsonl", "aime25.jsonl")
        for i, row in enumerate(shared_rows(name))
    ]
