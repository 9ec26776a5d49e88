"""The ``ded rollout`` schema.

```yaml
output: runs/qwq/rollouts.jsonl   # relative to the current directory
model: qwq-32b                    # the name written into every record
role: teacher                     # teacher | student
samples: 4                        # M samples per question
seed: 0
questions: {path: questions.jsonl, domain: math}   # inputs: relative to this file
sampling: {temperature: 0.6, top_p: 0.95, max_tokens: 32768}
backend: {openai: {base_url: "http://127.0.0.1:8000/v1", model: Qwen/QwQ-32B}}
flush_every: 16                   # fsync after this many records
executor: local                   # or {ray: {address: auto}}
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ded_plugins.configs.checker import Checker, ComponentSpec, QuestionSource, open_config
from ded_plugins.registry import Registry
from ded_plugins.rollouts.types import Sampling


__all__ = ["RolloutConfig", "check_backend", "load_rollout_config", "sampling"]

_TOP_KEYS = (
    "output", "model", "role", "samples", "seed", "questions", "sampling", "backend", "flush_every",
    "executor",
)  # fmt: skip
_SAMPLING_KEYS = ("temperature", "top_p", "max_tokens", "extra")


@dataclass(frozen=True, slots=True, kw_only=True)
class RolloutConfig:
    """A rollout job, resolved."""

    output: Path
    model: str
    backend: str
    backend_params: Mapping[str, Any]
    questions: QuestionSource
    role: str = "teacher"
    samples: int = 1
    seed: int = 0
    sampling: Sampling = field(default_factory=Sampling)
    flush_every: int = 16
    #: ``{label: path}`` of the local files the backend reads (model weights), hashed into the job's step
    inputs: Mapping[str, str] = field(default_factory=dict)
    executor: tuple[str, Mapping[str, Any]] = ("local", {})


def sampling(c: Checker, value: Any, path: tuple[Any, ...]) -> Sampling:
    """Decoding parameters: ``{temperature, top_p, max_tokens, extra}``."""
    if value is None:
        return Sampling()
    if not isinstance(value, Mapping):
        c.add(path, f"expected a mapping of decoding parameters, found {type(value).__name__}")
        return Sampling()
    c.keys(value, _SAMPLING_KEYS, path)
    default = Sampling()
    temperature = c.typed(value, "temperature", float, path, default.temperature)
    if temperature < 0:
        c.add((*path, "temperature"), f"expected a number >= 0, found {temperature!r}")
    top_p = c.typed(value, "top_p", float, path, default.top_p)
    if not 0 < top_p <= 1:
        c.add((*path, "top_p"), f"expected a number in (0, 1], found {top_p!r}")
    max_tokens = c.integer(value, "max_tokens", path, default.max_tokens, minimum=1)
    extra = c.mapping(value, "extra", path)
    return Sampling(temperature=float(temperature), top_p=float(top_p), max_tokens=max_tokens, extra=extra)


def check_backend(
    c: Checker, spec: ComponentSpec | None, registry: Registry
) -> tuple[str, dict[str, Any], dict[str, str]] | None:
    """A rollout backend named in a config: checked against its factory, declared inputs resolved."""
    if spec is None:
        return None
    resolved = c.resolve_component(spec, registry, "rollout_backend")
    return None if resolved is None else (spec.name, *resolved)


def load_rollout_config(
    source: str | Path | Mapping[str, Any],
    *,
    base_dir: Path | None = None,
    registry: Registry | None = None,
    label: str | None = None,
    check_inputs: bool = True,
) -> RolloutConfig:
    """Parse and check a rollout config; every problem is reported at once."""
    if registry is None:
        from ded_plugins.plugins import get_registry

        registry = get_registry()
    data, c = open_config(source, base_dir=base_dir, label=label, check_inputs=check_inputs)
    c.keys(data, _TOP_KEYS)
    c.require(data, ("output", "model", "questions", "backend"))
    output = c.output_path(data["output"], ("output",)) if "output" in data else None
    model = c.typed(data, "model", str)
    role = c.typed(data, "role", str, (), "teacher")
    if role not in ("teacher", "student"):
        c.add(("role",), f"expected 'teacher' or 'student', found {role!r}")
    samples = c.integer(data, "samples", (), 1, minimum=1)
    seed = c.integer(data, "seed", (), 0, minimum=0)
    flush_every = c.integer(data, "flush_every", (), 16, minimum=1)
    questions = c.questions(data["questions"], ("questions",)) if "questions" in data else None
    decoding = sampling(c, data.get("sampling"), ("sampling",))
    backend = check_backend(
        c, c.component(data["backend"], ("backend",)) if "backend" in data else None, registry
    )
    executor: tuple[str, Mapping[str, Any]] = ("local", {})
    if data.get("executor") is not None:
        spec = c.component(data["executor"], ("executor",))
        if spec is not None:
            executor = (spec.name, dict(spec.params))
    c.finish()
    assert output is not None and model is not None and questions is not None and backend is not None
    return RolloutConfig(
        output=output,
        model=model,
        backend=backend[0],
        backend_params=backend[1],
        questions=questions,
        role=role,
        samples=samples,
        seed=seed,
        sampling=decoding,
        flush_every=flush_every,
        inputs=backend[2],
        executor=executor,
    )
