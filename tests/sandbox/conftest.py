"""Fixtures for the sandbox tests: the shared code data and one started sandbox per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ded_plugins.sandbox import Sandbox


REPO = Path(__file__).resolve().parents[2]
_CANDIDATES = (REPO.parent / "shared" / "data" / "code", Path("/work/shared/data/code"))


@pytest.fixture(scope="session")
def code_data() -> Path:
    """``shared/data/code`` (LiveCodeBench probes, o1 outputs, HumanEval); skip where absent."""
    for path in _CANDIDATES:
        if (path / "lcb_semantics_probes.jsonl").is_file():
            return path
    pytest.skip("shared benchmark data not found (expected ../shared/data/code beside the repo)")


@pytest.fixture(scope="session")
def box(namespaces: None) -> Iterator[Sandbox]:
    """One started sandbox (2 workers, lcb2505) shared by the tests of this session."""
    with Sandbox(workers=2, memory_mb=1024) as sandbox:
        yield sandbox
