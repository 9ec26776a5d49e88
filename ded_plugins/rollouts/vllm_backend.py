"""Rollout backend on vLLM's offline engine: one seeded request per sample, chat template, data parallel.

A thin adapter: vLLM does not run on CPU-only machines, so the test drives it with a
fake engine class that has ``LLM``'s ``chat`` signature. Data parallelism runs one
engine per rank in its own (non-daemonic, so tensor parallelism can start its own
workers) process that sees only its slice of the GPUs, since one offline engine cannot
spread over replicas. Each engine works through its share in chunks of
``chunk_questions`` and hands every finished chunk back at once, so a crash loses at
most one chunk per rank.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import queue as queue_mod
import traceback
from collections.abc import Iterator, Sequence
from typing import Any

from ded_plugins._optional import require
from ded_plugins.chat import opened_think
from ded_plugins.errors import StageError
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
        chunk_questions: int = 256,
        engine: str = "vllm:LLM",
    ) -> None:
        if data_parallel_size < 1 or tensor_parallel_size < 1 or chunk_questions < 1:
            raise ValueError("tensor_parallel_size, data_parallel_size and chunk_questions must be >= 1")
        self.engine = engine
        self.data_parallel_size = data_parallel_size
        self.chunk_questions = chunk_questions
        self.engine_args: dict[str, Any] = {
            "model": model,
            "tensor_parallel_size": tensor_parallel_size,
            "dtype": dtype,
            "gpu_memory_utilization": gpu_memory_utilization,
        }
        if max_model_len is not None:
            self.engine_args["max_model_len"] = max_model_len

    def generate(self, requests: Sequence[SampleRequest], sampling: Sampling, emit: Emit) -> None:
        """Emit each chunk's samples as soon as its engine call returns."""
        if self.data_parallel_size == 1:
            for chunk in _work(self.engine, self.engine_args, list(requests), sampling, self.chunk_questions):
                for g in chunk:
                    emit(g)
            return
        tp = self.engine_args["tensor_parallel_size"]
        ctx = multiprocessing.get_context("spawn")
        results: Any = ctx.Queue()
        procs = []
        for rank in range(self.data_parallel_size):
            shard = list(requests[rank :: self.data_parallel_size])
            if not shard:
                continue
            devices = ",".join(str(d) for d in range(rank * tp, (rank + 1) * tp))
            args = (
                results,
                rank,
                devices,
                self.engine,
                self.engine_args,
                shard,
                sampling,
                self.chunk_questions,
            )
            proc = ctx.Process(target=_rank_main, args=args, daemon=False)
            proc.start()
            procs.append(proc)
        try:
            running = len(procs)
            while running:
                try:
                    kind, rank, payload = results.get(timeout=5.0)
                except queue_mod.Empty:
                    dead = [p for p in procs if p.exitcode not in (None, 0)]
                    if dead:
                        raise StageError(
                            f"a vLLM data-parallel rank died (exit code {dead[0].exitcode})"
                        ) from None
                    continue
                if kind == "error":
                    raise StageError(f"vLLM data-parallel rank {rank} failed:\n{payload}")
                if kind == "done":
                    running -= 1
                    continue
                for g in payload:
                    emit(g)
        finally:
            for p in procs:
                if p.is_alive():
                    p.terminate()
                p.join()


def _rank_main(
    results: Any,
    rank: int,
    devices: str,
    engine: str,
    engine_args: dict[str, Any],
    shard: list[SampleRequest],
    sampling: Sampling,
    chunk_questions: int,
) -> None:
    os.environ["CUDA_VISIBLE_DEVICES"] = devices  # before the engine touches CUDA
    try:
        for chunk in _work(engine, engine_args, shard, sampling, chunk_questions):
            results.put(("chunk", rank, chunk))
        results.put(("done", rank, None))
    except BaseException:
        results.put(("error", rank, traceback.format_exc()))


def _engine_module(engine: str) -> Any:
    module = engine.partition(":")[0]
    if module == "vllm":
        return require("vllm", "vllm", purpose="the vllm rollout backend")
    return importlib.import_module(module)


def _work(
    engine: str,
    engine_args: dict[str, Any],
    requests: list[SampleRequest],
    sampling: Sampling,
    chunk_questions: int,
) -> Iterator[list[Generation]]:
    module = _engine_module(engine)
    llm = getattr(module, engine.partition(":")[2] or "LLM")(**engine_args)
    for start in range(0, len(requests), chunk_questions):
        yield _chat(llm, module.SamplingParams, requests[start : start + chunk_questions], sampling)


def _chat(llm: Any, params_cls: Any, requests: list[SampleRequest], sampling: Sampling) -> list[Generation]:
    # one request per (question, sample index), each with its own seed: a sample does not
    # depend on how many others were asked with it, and its record names the seed it had
    # (n > 1 would share one seed; Ray Data LLM even keeps only the first of n)
    samples = [(r, i, seed) for r in requests for i, seed in zip(r.sample_indices, r.seeds, strict=True)]
    conversations = [[{"role": "user", "content": r.prompt}] for r, _, _ in samples]
    params = [
        params_cls(
            n=1,
            seed=seed,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_tokens,
            **dict(sampling.extra),
        )
        for _, _, seed in samples
    ]
    outputs = llm.chat(conversations, params, use_tqdm=False, add_generation_prompt=True) if samples else []
    result: list[Generation] = []
    prefixes: dict[str, str] = {}
    for (req, index, seed), conv, out in zip(samples, conversations, outputs, strict=True):
        prefix = prefixes.get(req.question_id)
        if prefix is None:
            prompt = out.prompt
            if prompt is None:  # a tokenized prompt: render the template to see how it ends
                tokenizer = llm.get_tokenizer()
                prompt = tokenizer.apply_chat_template(conv, tokenize=False, add_generation_prompt=True)
            prefix = prefixes[req.question_id] = opened_think(prompt)
        completion = out.outputs[0]
        result.append(
            Generation(
                question_id=req.question_id,
                sample_index=index,
                seed=seed,
                text=prefix + completion.text,
                n_tokens=len(completion.token_ids),
                finish_reason=completion.finish_reason,
            )
        )
    return result
