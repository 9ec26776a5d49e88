"""think_format: exactly one well-formed thinking block, then a non-empty answer."""

from __future__ import annotations

import pytest

from ded_plugins.processors.think_format import ThinkFormat, check_think_format
from ded_plugins.records import Question, Rollout


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<think>\nwork\n</think>\n\nAnswer: 4", "ok"),
        ("  <think>work</think>4", "ok"),
        ("work</think>4", "missing_open"),
        ("<think>work 4", "missing_close"),
        ("<think>a</think><think>b</think>4", "multiple"),
        ("<think>a</think>4</think>", "multiple"),
        ("</think>x<think>4", "unbalanced"),
        ("Sure! <think>work</think>4", "text_before_think"),
        ("<think>  \n </think>4", "empty_think"),
        ("<think>work</think>  \n", "empty_answer"),
        ("", "missing_open"),
    ],
)
def test_rules(text: str, reason: str) -> None:
    verdict = check_think_format(text)
    assert verdict.reason == reason
    assert verdict.passed is (reason == "ok")


def test_custom_tags_and_batches() -> None:
    stage = ThinkFormat(open_tag="<seed:think>", close_tag="</seed:think>")
    q = Question(id="q", domain="math", prompt="p")
    items = [
        (q, Rollout(question_id="q", model="m", sample_index=0, text="<seed:think>x</seed:think>y")),
        (q, Rollout(question_id="q", model="m", sample_index=1, text="<think>x</think>y")),
    ]
    assert [v.passed for v in stage.process(items)] == [True, False]
    with pytest.raises(ValueError, match="different"):
        ThinkFormat(open_tag="x", close_tag="x")
