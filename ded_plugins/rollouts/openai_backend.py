"""Rollout backend for any OpenAI-compatible server (``vllm serve``, SGLang, an API teacher)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from ded_plugins.chat import join_reasoning
from ded_plugins.rollouts.openai_client import Aborted, ChatResult, EndpointError, OpenAICompatClient
from ded_plugins.rollouts.types import Emit, Generation, SampleRequest, Sampling


__all__ = ["OpenAIBackend", "assemble_text", "warn_if_not_sampling"]

log = logging.getLogger(__name__)


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

        # for warn_if_not_sampling, which compares a question's samples for equality: a digest of
        # each text, not a second copy of every completion, and none when greedy decoding is asked
        # for (it never warns then)
        digests: dict[str, list[bytes]] = {}
        greedy = sampling.temperature <= 0

        async def one(req: SampleRequest, index: int, seed: int) -> None:
            params = {**base, "seed": seed} if self.send_seed else base
            result = await client.chat([{"role": "user", "content": req.prompt}], **params)
            text = assemble_text(result)
            if not greedy:
                digests.setdefault(req.question_id, []).append(_digest(text))
            emit(
                Generation(
                    question_id=req.question_id,
                    sample_index=index,
                    seed=seed,
                    text=text,
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
                warn_if_not_sampling(digests, sampling.temperature, self.client.url)
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)


def _digest(text: str) -> bytes:
    # surrogatepass: a lone surrogate (JSON allows one) is hashed, not an encoding error
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def warn_if_not_sampling(texts: Mapping[str, Sequence[Hashable]], temperature: float, url: str) -> bool:
    """Warn when every question's samples came back identical although the temperature asks for
    sampling: the server is not sampling, or seeds every request alike. Returns whether it warned.
    ``texts``: each question's samples, or stand-ins equal exactly when the samples are (digests)."""
    repeated = [t for t in texts.values() if len(t) >= 2]
    if temperature <= 0 or not repeated or any(len(set(t)) > 1 for t in repeated):
        return False
    log.warning(
        "%s: the samples of each of %d questions are identical although temperature is %g: the server "
        "is not sampling (transformers serve samples only when the model's generation_config sets "
        "do_sample; send extra_body: {generation_config: '{\"do_sample\": true}'}) or gives every "
        "request the same seed",
        url,
        len(repeated),
        temperature,
    )
    return True


def assemble_text(result: ChatResult) -> str:
    """The whole assistant turn, ``<think>...</think>`` included, as curation and training expect.

    A server with a reasoning parser returns the thinking separately; R1-style chat
    templates open ``<think>`` in the prompt, so the reply starts inside the thinking
    block and only ``</think>`` appears. Both are put back into one text with the
    ``deepseekr1`` template's separators.
    """
    return join_reasoning(result.reasoning, result.content)
