"""Local data for the ded_* tasks: shared benchmark files plus our GPQA-format fixture."""

from __future__ import annotations

from pathlib import Path

import pytest


TESTS = Path(__file__).resolve().parents[1]
SHARED_DATA = TESTS.parents[0].parent / "shared" / "data"
GPQA_FIXTURE = TESTS / "data" / "evals" / "gpqa_diamond_fixture.jsonl"


@pytest.fixture
def local_data(monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point every ded_* task at a local JSONL through its environment variable."""
    files = {name: SHARED_DATA / f"{name}.jsonl" for name in ("aime24", "aime25", "math500")}
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        pytest.skip(f"shared benchmark data not found: {missing}")
    files["gpqa_diamond"] = GPQA_FIXTURE
    for name, path in files.items():
        monkeypatch.setenv(f"DED_{name.upper()}_PATH", str(path))
    return files
