"""Rollout backend for any OpenAI-compatible server (``vllm serve``, SGLang, an API teacher)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from ded_plugins.chat import join_reasoning
from ded_plugins.rollouts.openai_client import Aborted, ChatResult, EndpointError, OpenAICompatClient
from ded_plugins.rollouts.types import Emit, Generation, SampleRequest, Sampling


__all__ = ["OpenAIBackend", "assemble_text"]


class OpenAIBackend:
    """One request per sample (many servers ignore ``n`` or seed it once), run concurrently."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key_env: str | None = "OPENAI_API_KEY",
        concurrency: int = 16,
        timeout_s: float = 3600.0,
        max_retries: int = 6,
        backoff_s: float = 2.0,
        send_seed: bool = True,
        extra_body: Mapping[str, Any] | None = None,
    ) -> None:
        self.client = OpenAICompatClient(
            base_url=base_url,
            model=model,
            api_key=OpenAICompatClient.api_key_from_env(api_key_env),
            concurrency=concurrency,
            timeout_s=timeout_s,
            max_retries=max_retries,
            backoff_s=backoff_s,
        )
        self.send_seed = send_seed
        self.extra_body = dict(extra_body or {})

    def generate(self, requests: Sequence[SampleRequest], sampling: Sampling, emit: Emit) -> None:
        """Run every sample; each is emitted the moment it completes."""
        asyncio.run(self._run(requests, sampling, emit))

    async def _run(self, requests: Sequence[SampleRequest], sampling: Sampling, emit: Emit) -> None:
        base = {
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
            **dict(sampling.extra),
            **self.extra_body,
        }

        async def one(req: SampleRequest, index: int, seed: int) -> None:
            params = {**base, "seed": seed} if self.send_seed else base
            result = await client.chat([{"role": "user", "content": req.prompt}], **params)
            emit(
                Generation(
                    question_id=req.question_id,
                    sample_index=index,
                    seed=seed,
                    text=assemble_text(result),
                    n_tokens=result.completion_tokens,
                    finish_reason=result.finish_reason,
                )
            )

        async with self.client as client:
            tasks = [
                asyncio.create_task(one(req, i, s))
                for req in requests
                for i, s in zip(req.sample_indices, req.seeds, strict=True)
            ]
            try:
                errors: list[BaseException] = []
                # the first failure (retries exhausted) stops new requests; the ones in flight
                # finish, so every answer the server sent is kept
                for fut in asyncio.as_completed(tasks):
                    try:
                        await fut
                    except EndpointError as exc:
                        client.abort()
                        if not isinstance(exc, Aborted):
                            errors.append(exc)
                if errors:
                    raise errors[0]
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)


def assemble_text(result: ChatResult) -> str:
    """The whole assistant turn, ``<think>...</think>`` included, as curation and training expect.

    A server with a reasoning parser returns the thinking separately; R1-style chat
    templates open ``<think>`` in the prompt, so the reply starts inside the thinking
    block and only ``</think>`` appears. Both are put back into one text with the
    ``deepseekr1`` template's separators.
    """
    return join_reasoning(result.reasoning, result.content)
