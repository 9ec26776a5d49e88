"""``llm_judge``: an LLM on an OpenAI-compatible endpoint decides answers rules cannot check.

The judge sees the question, the reference answer and only the response's final answer
(the text after the last ``</think>``), never the chain of thought, so a long trace
cannot talk it into a verdict. Its reply must end with a line that is exactly
``VERDICT: CORRECT`` or ``VERDICT: INCORRECT`` (a thinking judge's ``<think>`` part is
ignored); anything else is asked again, up to ``parse_retries`` times, then rejected as
``judge_unparsable``. Endpoint failures (after the client's own retries) stop the stage
rather than reject rollouts, since they say nothing about the answer.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from ded_plugins.chat import THINK_CLOSE, final_answer
from ded_plugins.io import read_text
from ded_plugins.records import Question, Rollout, Verdict
from ded_plugins.rollouts.openai_client import OpenAICompatClient
from ded_plugins.steps import InputPath


__all__ = ["JUDGE_PROMPT", "LLMJudge", "parse_verdict"]

JUDGE_PROMPT = """You are grading a student's final answer against a reference answer.

Question:
{question}

Reference answer:
{reference}

Student's final answer:
{answer}

Decide whether the student's final answer is mathematically or semantically equivalent \
to the reference answer. Ignore formatting differences. Do not solve the problem again \
and do not give partial credit.
Reply with one final line that is exactly "VERDICT: CORRECT" or "VERDICT: INCORRECT"."""

_VERDICT = re.compile(r"VERDICT: (CORRECT|INCORRECT)")


def parse_verdict(reply: str) -> bool | None:
    """``True``/``False`` from a strict last line; ``None`` when the reply breaks the format."""
    body = final_answer(reply)
    body = reply if body is None else body
    lines = [line.strip() for line in body.strip().splitlines() if line.strip()]
    if not lines:
        return None
    match = _VERDICT.fullmatch(lines[-1].strip("*` "))
    if match is None:
        return None
    return match.group(1) == "CORRECT"


class LLMJudge:
    """Judge final answers against the reference with an LLM on an OpenAI-compatible endpoint."""

    #: a batch's calls run concurrently from one process
    placement = "node"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key_env: str | None = "OPENAI_API_KEY",
        domains: list[str] | None = None,
        prompt: str | None = None,
        prompt_file: InputPath | None = None,
        temperature: float = 0.0,
        max_tokens: int = 4096,
        concurrency: int = 8,
        timeout_s: float = 600.0,
        max_retries: int = 6,
        backoff_s: float = 2.0,
        parse_retries: int = 2,
        close_tag: str = THINK_CLOSE,
    ) -> None:
        if prompt is not None and prompt_file is not None:
            raise ValueError("give the judge prompt inline (prompt) or as a file (prompt_file), not both")
        if prompt_file is not None:
            prompt = read_text(prompt_file, what="judge prompt")
        prompt = JUDGE_PROMPT if prompt is None else prompt  # None: the built-in prompt
        for key in ("{question}", "{reference}", "{answer}"):
            if key not in prompt:
                raise ValueError(f"prompt must contain {key}")
        if parse_retries < 0:
            raise ValueError(f"parse_retries must be >= 0, found {parse_retries}")
        self.client_args = {
            "base_url": base_url,
            "model": model,
            "api_key": OpenAICompatClient.api_key_from_env(api_key_env),
            "concurrency": concurrency,
            "timeout_s": timeout_s,
            "max_retries": max_retries,
            "backoff_s": backoff_s,
        }
        self.model = model
        self.domains = None if domains is None else frozenset(domains)
        self.prompt = prompt
        self.params = {"temperature": temperature, "max_tokens": max_tokens}
        self.parse_retries = parse_retries
        self.close_tag = close_tag

    def process(self, items: Sequence[tuple[Question, Rollout]]) -> list[Verdict]:
        """One verdict per item; the batch's judge calls run concurrently."""
        return asyncio.run(self._process(items))

    async def _process(self, items: Sequence[tuple[Question, Rollout]]) -> list[Verdict]:
        async with OpenAICompatClient(**self.client_args) as client:  # type: ignore[arg-type]
            return list(await asyncio.gather(*(self._one(client, q, r) for q, r in items)))

    async def _one(self, client: OpenAICompatClient, q: Question, r: Rollout) -> Verdict:
        if self.domains is not None and q.domain not in self.domains:
            return Verdict(passed=True, reason="not_applicable")
        if q.answer is None:
            return Verdict(passed=True, reason="not_applicable", details={"why": "no reference answer"})
        answer = final_answer(r.text, self.close_tag)
        if not answer:
            return Verdict(passed=False, reason="no_final_answer")
        message = self.prompt.format(question=q.prompt, reference=q.answer, answer=answer)
        replies = []
        for _ in range(self.parse_retries + 1):
            result = await client.chat([{"role": "user", "content": message}], **self.params)
            replies.append(result.content)
            verdict = parse_verdict(result.content)
            if verdict is not None:
                details = {"judge": self.model, "attempts": len(replies)}
                return Verdict(passed=verdict, reason="ok" if verdict else "wrong", details=details)
        return Verdict(
            passed=False,
            reason="judge_unparsable",
            details={"judge": self.model, "attempts": len(replies), "last_reply": replies[-1][-300:]},
        )
