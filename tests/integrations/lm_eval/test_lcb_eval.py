"""ded_livecodebench through the real lm-eval pipeline and the real sandbox.

The model is a scripted stand-in (``ScriptedLM``): no model that runs here writes correct
programs, and the point is the task's arithmetic (k samples per problem, avg@k over
problems) and that every program runs in the sandbox from the filter.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from lcb_fixture import ANSWERS, write_lcb


pytestmark = [pytest.mark.eval, pytest.mark.sandbox]
TASK_DIR = Path(__file__).resolve().parents[3] / "evals" / "ded_livecodebench"
K = 4


def _scripted_lm() -> Any:
    from lm_eval.api.model import LM

    class ScriptedLM(LM):  # type: ignore[misc]
        """Answers problem P's i-th request right when i < right[P], wrong otherwise."""

        def __init__(self) -> None:
            super().__init__()
            self.right = {"abc400_a": 4, "double-it": 2, "abc401_g": 1}
            self.seen: Counter[str] = Counter()
            self.prompts: list[str] = []

        def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
            out = []
            for request in requests:
                prompt = request.args[0]
                self.prompts.append(prompt)
                qid = next(q for q in ANSWERS if f"Problem {q}." in prompt)
                right, wrong = ANSWERS[qid]
                code = right if self.seen[qid] < self.right[qid] else wrong
                self.seen[qid] += 1
                out.append(f"<think>\nLet me think. ```maybe```\n</think>\n```python\n{code}\n```\n")
            return out

        def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[Any]:
            raise NotImplementedError

        def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[Any]:
            raise NotImplementedError

    return ScriptedLM()


@pytest.mark.parametrize(
    ("task", "expected"), [("ded_livecodebench", (1.0 + 0.5 + 0.25) / 3), ("ded_lcb_hard", 0.25)]
)
def test_pass_at_1_is_avg_at_k(task: str, expected: float, tmp_path: Path, namespaces: None) -> None:
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    data = write_lcb(tmp_path / "lcb.jsonl")
    manager = TaskManager(
        include_path=str(TASK_DIR),
        include_defaults=False,
        metadata={"lcb_path": str(data), "ded_k": K, "lcb_grader": "lcb2501", "lcb_timeout_s": 1},
    )
    lm = _scripted_lm()
    out = simple_evaluate(
        model=lm, tasks=[task], task_manager=manager, confirm_run_unsafe_code=True, log_samples=True
    )
    scores = out["results"][task]
    assert scores["pass@1,none"] == pytest.approx(expected)
    assert out["configs"][task]["metadata"]["lcb_grader"] == "lcb2501"
    samples = out["samples"][task]
    assert all(len(s["filtered_resps"][0]) == K for s in samples)
    verdicts = [v for s in samples for v in s["filtered_resps"][0]]
    assert {v["grader"] for v in verdicts} == {"lcb2501"}
    assert {v["isolation"] for v in verdicts} == {"bwrap+seccomp+rlimits"}
    if task == "ded_lcb_hard":
        assert Counter(v["status"] for v in verdicts) == {"passed": 1, "time_limit": 3}
    starter = [p for p in lm.prompts if "double-it" in p]
    assert not starter or "class Solution:\n    def double" in starter[0]
    assert "Read the inputs from stdin solve the problem" in next(p for p in lm.prompts if "abc401_g" in p)
    json.dumps(out["results"])  # the results file is plain JSON
