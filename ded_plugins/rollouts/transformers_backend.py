"""Rollout backend on local ``transformers`` generation: small models, tests, the demo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ded_plugins._optional import require
from ded_plugins.chat import opened_think
from ded_plugins.rollouts.types import Emit, Generation, SampleRequest, Sampling


__all__ = ["TransformersBackend", "chat_prompt"]


def chat_prompt(tokenizer: Any, prompt: str) -> str:
    """The prompt as one user turn in the tokenizer's chat template, generation prompt added."""
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
    )
    assert isinstance(text, str)
    return text


class TransformersBackend:
    """One sample at a time, each under its own seed, so results do not depend on batching."""

    def __init__(self, *, model_path: str, dtype: str = "float32", device: str = "cpu") -> None:
        self.model_path = model_path
        self.dtype = dtype
        self.device = device
        self._loaded: tuple[Any, Any] | None = None

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            torch = require("torch", "train", purpose="local generation")
            transformers = require("transformers", "analysis", purpose="local generation")
            tokenizer = transformers.AutoTokenizer.from_pretrained(self.model_path)
            model = transformers.AutoModelForCausalLM.from_pretrained(
                self.model_path, dtype=getattr(torch, self.dtype)
            ).to(self.device)
            model.eval()
            self._loaded = (model, tokenizer)
        return self._loaded

    def generate(self, requests: Sequence[SampleRequest], sampling: Sampling, emit: Emit) -> None:
        """Sample with ``model.generate``; ``finish_reason`` is ``stop`` when EOS was produced."""
        torch = require("torch", "train", purpose="local generation")
        model, tokenizer = self._load()
        eos = model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos]) - {None}
        for req in requests:
            rendered = chat_prompt(tokenizer, req.prompt)
            prefix = opened_think(rendered)
            ids = tokenizer(rendered, add_special_tokens=False, return_tensors="pt").to(self.device)
            for index, seed in zip(req.sample_indices, req.seeds, strict=True):
                torch.manual_seed(seed)
                with torch.inference_mode():
                    out = model.generate(
                        **ids,
                        do_sample=sampling.temperature > 0,
                        temperature=sampling.temperature if sampling.temperature > 0 else None,
                        top_p=sampling.top_p if sampling.temperature > 0 else None,
                        max_new_tokens=sampling.max_tokens,
                        pad_token_id=tokenizer.pad_token_id,
                        **dict(sampling.extra),
                    )
                new = out[0, ids["input_ids"].shape[1] :].tolist()
                stopped = bool(new) and new[-1] in eos_ids
                body = new[:-1] if stopped else new
                emit(
                    Generation(
                        question_id=req.question_id,
                        sample_index=index,
                        seed=seed,
                        text=prefix + tokenizer.decode(body, skip_special_tokens=False),
                        n_tokens=len(body),
                        finish_reason="stop" if stopped else "length",
                    )
                )
