"""Rollout backend on vLLM's offline engine: n samples per prompt, chat template, data parallel.

A thin adapter: vLLM does not run on CPU-only machines, so the test drives it with a
fake engine class that has ``LLM``'s ``chat`` signature. Data parallelism runs one
engine per rank in its own process, each seeing its slice of the GPUs, since one
offline engine cannot spread over replicas.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
from collections.abc import Sequence
from typing import Any

from ded_plugins._optional import require
from ded_plugins.rollouts.types import Emit, Generation, SampleRequest, Sampling


__all__ = ["VLLMBackend"]

log = logging.getLogger(__name__)


class VLLMBackend:
    """``engine`` is ``module:attribute`` of the engine class (default ``vllm:LLM``)."""

    def __init__(
        self,
        *,
        model: str,
        tensor_parallel_size: int = 1,
        data_parallel_size: int = 1,
        dtype: str = "auto",
        max_model_len: int | None = None,
        gpu_memory_utilization: float = 0.9,
        engine: str = "vllm:LLM",
    ) -> None:
        if data_parallel_size < 1 or tensor_parallel_size < 1:
            raise ValueError("tensor_parallel_size and data_parallel_size must be >= 1")
        self.engine = engine
        self.data_parallel_size = data_parallel_size
        self.engine_args: dict[str, Any] = {
            "model": model,
            "tensor_parallel_size": tensor_parallel_size,
            "dtype": dtype,
            "gpu_memory_utilization": gpu_memory_utilization,
        }
        if max_model_len is not None:
            self.engine_args["max_model_len"] = max_model_len

    def generate(self, requests: Sequence[SampleRequest], sampling: Sampling, emit: Emit) -> None:
        """One engine call per rank; results are emitted as each rank's shard finishes."""
        if self.data_parallel_size == 1:
            for g in _run_shard(self.engine, self.engine_args, list(requests), sampling, None):
                emit(g)
            return
        tp = self.engine_args["tensor_parallel_size"]
        ctx = multiprocessing.get_context("spawn")
        shards = [list(requests[r :: self.data_parallel_size]) for r in range(self.data_parallel_size)]
        with ctx.Pool(self.data_parallel_size) as pool:
            jobs = [
                pool.apply_async(
                    _run_shard,
                    (self.engine, self.engine_args, shard, sampling, list(range(r * tp, (r + 1) * tp))),
                )
                for r, shard in enumerate(shards)
                if shard
            ]
            for job in jobs:
                for g in job.get():
                    emit(g)


def _load_engine_class(spec: str) -> Any:
    module, _, attr = spec.partition(":")
    if module == "vllm":
        return getattr(require("vllm", "vllm", purpose="the vllm rollout backend"), attr or "LLM")
    return getattr(importlib.import_module(module), attr)


def _run_shard(
    engine: str,
    engine_args: dict[str, Any],
    requests: list[SampleRequest],
    sampling: Sampling,
    devices: list[int] | None,
) -> list[Generation]:
    if devices is not None:  # a data-parallel rank: only its own GPUs
        os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(map(str, devices))
    llm = _load_engine_class(engine)(**engine_args)
    params_cls = _sampling_params_class(engine)
    conversations = [[{"role": "user", "content": r.prompt}] for r in requests]
    # n samples per prompt share one request; vLLM derives the n streams from the one seed
    params = [
        params_cls(
            n=len(r.sample_indices),
            seed=r.seeds[0],
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_tokens,
            **dict(sampling.extra),
        )
        for r in requests
    ]
    outputs = llm.chat(conversations, params, use_tqdm=False, add_generation_prompt=True)
    result: list[Generation] = []
    for req, out in zip(requests, outputs, strict=True):
        prefix = "<think>\n" if out.prompt.rstrip("\n").endswith("<think>") else ""
        for index, completion in zip(req.sample_indices, out.outputs, strict=True):
            result.append(
                Generation(
                    question_id=req.question_id,
                    sample_index=index,
                    seed=req.seeds[0],
                    text=prefix + completion.text,
                    n_tokens=len(completion.token_ids),
                    finish_reason=completion.finish_reason,
                )
            )
    return result


def _sampling_params_class(engine: str) -> Any:
    if engine.partition(":")[0] == "vllm":
        return require("vllm", "vllm").SamplingParams
    module = importlib.import_module(engine.partition(":")[0])
    return module.SamplingParams
