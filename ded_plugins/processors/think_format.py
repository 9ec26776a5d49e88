"""``think_format``: exactly one well-formed thinking block, then a non-empty answer."""

from __future__ import annotations

from collections.abc import Sequence

from ded_plugins.chat import THINK_CLOSE, THINK_OPEN
from ded_plugins.records import Question, Rollout, Verdict


__all__ = ["ThinkFormat", "check_think_format"]


def check_think_format(text: str, open_tag: str = THINK_OPEN, close_tag: str = THINK_CLOSE) -> Verdict:
    """Judge one response; the reason names the first rule it breaks."""
    n_open = text.count(open_tag)
    n_close = text.count(close_tag)
    if n_open == 0:
        return Verdict(passed=False, reason="missing_open")
    if n_close == 0:
        return Verdict(passed=False, reason="missing_close")
    if n_open > 1 or n_close > 1:
        return Verdict(passed=False, reason="multiple", details={"open": n_open, "close": n_close})
    start = text.index(open_tag)
    end = text.index(close_tag)
    if end < start:
        return Verdict(passed=False, reason="unbalanced")
    if text[:start].strip():
        return Verdict(passed=False, reason="text_before_think")
    if not text[start + len(open_tag) : end].strip():
        return Verdict(passed=False, reason="empty_think")
    if not text[end + len(close_tag) :].strip():
        return Verdict(passed=False, reason="empty_answer")
    return Verdict(passed=True)


class ThinkFormat:
    """Keep responses with exactly one <think>...</think> block followed by a non-empty answer.

    Responses that do not open the block themselves (R1-style chat templates put the
    opening tag in the prompt) must have it restored by the rollout backend, which
    records the text the model was conditioned on; the check itself stays strict.
    """

    def __init__(self, *, open_tag: str = THINK_OPEN, close_tag: str = THINK_CLOSE) -> None:
        if not open_tag or not close_tag or open_tag == close_tag:
            raise ValueError("open_tag and close_tag must be two different non-empty strings")
        self.open_tag = open_tag
        self.close_tag = close_tag

    def process(self, items: Sequence[tuple[Question, Rollout]]) -> list[Verdict]:
        """One verdict per rollout."""
        return [check_think_format(r.text, self.open_tag, self.close_tag) for _, r in items]
