"""The ``ded_*`` tasks' intervals through lm-eval's own aggregation: what lands in results and samples."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from ded_plugins.evaluation.bootstrap import Votes, bootstrap_majority, bootstrap_mean
from ded_plugins.integrations.lm_eval.hook import task_dir
from ded_plugins.integrations.lm_eval.intervals import bootstrap_ci95, bootstrap_se, votes_value


pytestmark = pytest.mark.eval


def _fake_lm(replies: list[str]) -> Any:
    """An lm-eval LM answering from a fixed cycle of replies (no model: the arithmetic is the test)."""
    from lm_eval.api.model import LM

    class CycleLM(LM):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.replies = itertools.cycle(replies)

        def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
            return [next(self.replies) for _ in requests]

        def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[Any]:
            raise NotImplementedError

        def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[Any]:
            raise NotImplementedError

        def apply_chat_template(
            self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True
        ) -> str:
            return chat_history[-1]["content"]

        @property
        def tokenizer_name(self) -> str:
            return "cycle"

        def chat_template(self, chat_template: bool | str = False) -> str:
            return ""

    return CycleLM()


def test_results_carry_the_two_level_interval_and_samples_the_per_question_means(
    local_data: dict[str, Path],
) -> None:
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    # 5 samples per question, cycling through 7 replies: per-question counts differ
    replies = ["</think>\\boxed{70}", "</think>\\boxed{588}", "</think>\\boxed{1}", "no answer"] + [
        "</think>\\boxed{16}"
    ] * 3
    manager = TaskManager(include_path=str(task_dir()), include_defaults=False, metadata={"ded_k": 5})
    out = simple_evaluate(
        model=_fake_lm(replies),
        tasks=["ded_aime25"],
        limit=6,
        task_manager=manager,
        apply_chat_template=True,
        log_samples=True,
        bootstrap_iters=1000,
    )
    res = out["results"]["ded_aime25"]
    rows = out["samples"]["ded_aime25"]
    assert len(rows) == 6
    per_sample = [row["pass@1_ci95"] for row in rows]
    assert all(len(v) == 5 and set(v) <= {0, 1} for v in per_sample)
    for row in rows:  # the per-question mean is logged as the question's pass@1
        assert row["pass@1"] == pytest.approx(sum(row["pass@1_ci95"]) / 5)
        assert row["pass@1_boot_se"] == row["pass@1_ci95"]
    assert sum(map(sum, per_sample)) > 0  # answers 70 and 588 are right for the first two questions
    direct = bootstrap_mean(per_sample, resamples=1000, seed=0)
    assert res["pass@1,none"] == pytest.approx(direct.value)
    assert res["pass@1_boot_se,none"] == pytest.approx(direct.se, abs=1e-6)
    assert res["pass@1_ci95,none"] == pytest.approx([direct.low, direct.high], abs=1e-6)
    assert res["pass@1_ci95_stderr,none"] == "N/A"  # lm-eval has no formula for ours
    assert isinstance(res["pass@1_stderr,none"], float)  # its own: questions only
    votes = [
        Votes(tuple(r["maj@k_ci95"]["votes"]), tuple(map(bool, r["maj@k_ci95"]["correct"]))) for r in rows
    ]
    maj = bootstrap_majority(votes, resamples=1000, seed=0)
    assert res["maj@k,none"] == pytest.approx(maj.value)
    assert res["maj@k_ci95,none"] == pytest.approx([maj.low, maj.high], abs=1e-6)


def test_resamples_and_seed_come_from_metadata(local_data: dict[str, Path]) -> None:
    from lm_eval.tasks import TaskManager

    meta = {"ded_resamples": 200, "ded_bootstrap_seed": 5}
    task = TaskManager(include_path=str(task_dir()), include_defaults=False, metadata=meta).load(
        ["ded_aime24"]
    )
    aggregations = task["tasks"]["ded_aime24"].aggregation()
    items = [[1, 0, 1], [0, 0, 0], [1, 1, 1], [0, 1, 0]]
    e = bootstrap_mean(items, resamples=200, seed=5)
    assert aggregations["pass@1_ci95"](items) == pytest.approx([e.low, e.high], abs=1e-6)
    assert aggregations["pass@1_boot_se"](items) == pytest.approx(e.se, abs=1e-6)
    assert aggregations["pass@1_boot_se"].__name__ == "bootstrap_se"


def test_aggregations_and_votes() -> None:
    assert votes_value(["5", None, "5", "70"], [False, False, False, True]) == {
        "votes": [0, -1, 0, 1],
        "correct": [0, 0, 0, 1],
    }
    items = [votes_value(["70", "5", "70"], [True, False, True]), votes_value([None, None], [False, False])]
    low, high = bootstrap_ci95(items)
    assert 0.0 <= low <= 0.5 <= high <= 1.0
    assert bootstrap_se([[1, 1], [1, 1]]) == 0.0
