"""Benchmark items come through the ded_* tasks' own loaders: exactly the documents lm-eval evaluates."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import DATA
from pool_problems import LCB_WINDOW

from ded_plugins.errors import ConfigError
from ded_plugins.integrations.lm_eval.benchmarks import (
    PAPER_BENCHMARKS,
    load_benchmark,
    load_benchmarks,
    parse_against,
    task_names,
)


GPQA_FIXTURE = DATA / "evals" / "gpqa_diamond_fixture.jsonl"


@pytest.fixture(scope="module")
def metadata(local_tasks: dict[str, str], lcb_file: Path) -> dict[str, str]:
    return {
        **local_tasks,
        "gpqa_diamond_path": str(GPQA_FIXTURE),
        "lcb_path": str(lcb_file),
        "lcb_start": LCB_WINDOW[0],
        "lcb_end": LCB_WINDOW[1],
    }


@pytest.mark.eval
def test_items_are_the_documents_lm_eval_evaluates(metadata: dict[str, str]) -> None:
    from lm_eval.tasks import TaskManager

    ours = {b.name: b for b in load_benchmarks(list(PAPER_BENCHMARKS), metadata=metadata)}
    tasks = TaskManager(metadata=metadata).load_task_or_group(list(PAPER_BENCHMARKS))
    assert set(tasks) == set(ours)
    for name, task in tasks.items():
        docs = list(task.test_docs())
        field = "question_content" if name == "ded_livecodebench" else "problem"
        assert [i.text for i in ours[name].items] == [str(d[field]) for d in docs], name
    sizes = {name: len(b.items) for name, b in ours.items()}
    expected = {"ded_aime24": 30, "ded_aime25": 30, "ded_math500": 500, "ded_gpqa_diamond": 4}
    assert sizes == {**expected, "ded_livecodebench": 279}
    lcb = ours["ded_livecodebench"]
    assert lcb.window == LCB_WINDOW and all(
        LCB_WINDOW[0] <= (i.date or "") <= LCB_WINDOW[1] for i in lcb.items
    )
    assert ours["ded_math500"].source == f"local {metadata['math500_path']}"


def test_local_paths_from_the_environment(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DED_AIME25_PATH", str(shared_data / "aime25.jsonl"))
    bench = load_benchmark("ded_aime25")
    assert len(bench.items) == 30 and bench.items[0].id == "2025-I-1"
    assert bench.source == f"local {shared_data / 'aime25.jsonl'}"


def test_against_lists_are_checked() -> None:
    assert set(PAPER_BENCHMARKS) <= set(task_names())
    assert parse_against("ded_aime24, mine=data/x.jsonl") == [("ded_aime24", None), ("mine", "data/x.jsonl")]
    for bad, message in [
        ("ded_aime24,ded_aime24", "named twice"),
        ("ded_nope", "unknown benchmark"),
        ("=x.jsonl", "NAME=PATH"),
        ("", "no benchmark"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_against(bad)
