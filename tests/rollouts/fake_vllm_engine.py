"""FAKE vLLM engine for the vllm backend's test: vLLM cannot run on CPU-only machines.

It has the ``LLM.chat`` and ``SamplingParams`` shapes the adapter uses and renders the
chat template with the real tokenizer, so only the sampling itself is faked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SamplingParams:
    n: int = 1
    seed: int | None = None
    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 16


@dataclass
class _Completion:
    text: str
    token_ids: list[int]
    finish_reason: str


@dataclass
class _Output:
    prompt: str | None
    outputs: list[_Completion] = field(default_factory=list)


class FakeLLM:
    """Records its construction arguments; answers every prompt with n numbered texts."""

    def __init__(self, **engine_args: Any) -> None:
        from transformers import AutoTokenizer

        if engine_args["model"] == "broken":
            raise RuntimeError("CUDA out of memory (fake)")
        self.engine_args = engine_args
        self.tokenizer = AutoTokenizer.from_pretrained(engine_args["model"])
        self.devices = os.environ.get("CUDA_VISIBLE_DEVICES", "")

    def get_tokenizer(self) -> Any:
        return self.tokenizer

    def chat(self, conversations: list[Any], params: list[SamplingParams], **kwargs: Any) -> list[_Output]:
        assert kwargs.get("add_generation_prompt") is True
        out = []
        for i, (conv, p) in enumerate(zip(conversations, params, strict=True)):
            prompt = self.tokenizer.apply_chat_template(conv, tokenize=False, add_generation_prompt=True)
            texts = [
                f"step {k} seed {p.seed} gpus {self.devices}\n</think>\n\n\\boxed{{{k}}}" for k in range(p.n)
            ]
            # vLLM leaves ``prompt`` empty for tokenized prompts; the adapter must cope with both
            out.append(
                _Output(
                    prompt if i % 2 == 0 else None,
                    [_Completion(t, [1] * (k + 3), "stop") for k, t in enumerate(texts)],
                )
            )
        return out
