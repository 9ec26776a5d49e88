"""The registered backend factories repeat their backend's signature (so registering them imports
neither httpx nor vLLM); this keeps the two copies from drifting apart."""

from __future__ import annotations

import inspect

import pytest

from ded_plugins import rollouts
from ded_plugins.rollouts.openai_backend import OpenAIBackend
from ded_plugins.rollouts.transformers_backend import TransformersBackend
from ded_plugins.rollouts.vllm_backend import VLLMBackend


@pytest.mark.parametrize(
    ("factory", "backend"),
    [
        (rollouts.vllm, VLLMBackend),
        (rollouts.openai, OpenAIBackend),
        (rollouts.transformers, TransformersBackend),
    ],
)
def test_factory_signature_matches_backend(factory: object, backend: type) -> None:
    # names and defaults must agree; the factory's annotations may be the config-facing narrowing
    def params(fn: object) -> list[tuple[str, object]]:
        sig = inspect.signature(fn)  # type: ignore[arg-type]
        return [(p.name, p.default) for p in sig.parameters.values() if p.name != "self"]

    assert params(factory) == params(backend.__init__)
