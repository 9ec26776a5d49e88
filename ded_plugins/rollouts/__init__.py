"""Built-in rollout backends (``vllm``, ``openai``, ``transformers``), registered through the same
hook as third-party plugins.

A backend factory returns an object with ``generate(requests, sampling, emit)``; see
:mod:`ded_plugins.rollouts.types`. The modules are imported only when a backend is built.
"""

from __future__ import annotations

from typing import Any

from ded_plugins.hookspecs import hookimpl
from ded_plugins.registry import Register
from ded_plugins.steps import ModelRef


def vllm(
    *,
    model: ModelRef,
    tensor_parallel_size: int = 1,
    data_parallel_size: int = 1,
    dtype: str = "auto",
    max_model_len: int | None = None,
    gpu_memory_utilization: float = 0.9,
    chunk_questions: int = 256,
    engine: str = "vllm:LLM",
) -> Any:
    """vLLM offline engine: one seeded request per sample, chat template, data parallel over GPUs."""
    from ded_plugins.rollouts.vllm_backend import VLLMBackend

    return VLLMBackend(
        model=model,
        tensor_parallel_size=tensor_parallel_size,
        data_parallel_size=data_parallel_size,
        dtype=dtype,
        max_model_len=max_model_len,
        gpu_memory_utilization=gpu_memory_utilization,
        chunk_questions=chunk_questions,
        engine=engine,
    )


def openai(
    *,
    base_url: str,
    model: str,
    api_key_env: str | None = "OPENAI_API_KEY",
    concurrency: int = 16,
    timeout_s: float = 3600.0,
    max_retries: int = 6,
    backoff_s: float = 2.0,
    send_seed: bool = True,
    extra_body: dict[str, Any] | None = None,
) -> Any:
    """Any OpenAI-compatible server (vllm serve, an API teacher): concurrent, retried, resumable."""
    from ded_plugins.rollouts.openai_backend import OpenAIBackend

    return OpenAIBackend(
        base_url=base_url,
        model=model,
        api_key_env=api_key_env,
        concurrency=concurrency,
        timeout_s=timeout_s,
        max_retries=max_retries,
        backoff_s=backoff_s,
        send_seed=send_seed,
        extra_body=extra_body,
    )


def transformers(*, model_path: ModelRef, dtype: str = "float32", device: str = "cpu") -> Any:
    """Local generation with transformers, for small models and tests."""
    from ded_plugins.rollouts.transformers_backend import TransformersBackend

    return TransformersBackend(model_path=model_path, dtype=dtype, device=device)


@hookimpl
def ded_register_rollout_backends(register: Register) -> None:
    """Register the built-in rollout backends."""
    register("vllm", vllm)
    register("openai", openai)
    register("transformers", transformers)
