"""Fixtures for the pool tests: the shared benchmark data (skip where absent) and local task paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import REPO


_CANDIDATES = (REPO.parent / "shared" / "data", Path("/work/shared/data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``shared/data`` (AIME, MATH-500, the 100 MATH problems, LiveCodeBench o1 outputs)."""
    for candidate in _CANDIDATES:
        if (candidate / "math500.jsonl").is_file():
            return candidate
    pytest.skip("shared benchmark data not found (expected ../shared/data beside the repo)")


@pytest.fixture(scope="session")
def local_tasks(shared_data: Path) -> dict[str, str]:
    """``--metadata`` that points the math tasks at the local files."""
    return {
        "aime24_path": str(shared_data / "aime24.jsonl"),
        "aime25_path": str(shared_data / "aime25.jsonl"),
        "math500_path": str(shared_data / "math500.jsonl"),
    }


@pytest.fixture(scope="session")
def math_benchmarks(local_tasks: dict[str, str]) -> list:
    """AIME 2024, AIME 2025 and MATH-500 through the ded_* task loaders, from the local files."""
    from ded_plugins.integrations.lm_eval.benchmarks import load_benchmarks

    return load_benchmarks("ded_aime24,ded_aime25,ded_math500", metadata=local_tasks)


@pytest.fixture(scope="session")
def lcb_file(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 880 real LiveCodeBench release_v5 problems (statements, platforms, contests, dates) as a
    ``code_generation_lite`` JSONL. The shared file has no tests, which the task loader requires,
    so each problem gets one placeholder test (decontamination reads statements and dates only)."""
    import json

    source = shared_data / "code" / "lcb_eval_all_o1-mini-2024-09-12_n1.json"
    if not source.is_file():
        pytest.skip(f"{source} not found")
    placeholder = json.dumps([{"input": "1\n", "output": "1\n", "testtype": "stdin"}])
    keys = ("question_title", "question_content", "platform", "question_id", "contest_id", "contest_date")
    keys += ("starter_code", "difficulty")
    rows = [
        {
            **{k: r[k] for k in keys},
            "public_test_cases": placeholder,
            "private_test_cases": "[]",
            "metadata": "{}",
        }
        for r in json.loads(source.read_text(encoding="utf-8"))
    ]
    path = tmp_path_factory.mktemp("lcb") / "test5.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
