"""``ded rollout`` configuration: strict YAML (or a mapping) to a frozen config.

```yaml
output: runs/qwq/rollouts.jsonl   # resolved against the current directory
model: qwq-32b                    # the name written into every record
role: teacher                     # teacher | student
samples: 4                        # M samples per question
seed: 0
questions: questions.jsonl        # or {path, format, split, domain, columns, limit}
sampling: {temperature: 0.6, top_p: 0.95, max_tokens: 32768}
backend: {openai: {base_url: "http://127.0.0.1:8000/v1", model: Qwen/QwQ-32B}}
flush_every: 16                   # fsync after this many records
```
Relative input paths resolve against the config file's directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ded_plugins.config import QuestionSource
from ded_plugins.errors import ConfigError
from ded_plugins.rollouts.types import Sampling


__all__ = [
    "QuestionSource",
    "RolloutConfig",
    "load_rollout_config",
    "local_model_paths",
    "parse_component",
    "read_config_mapping",
]

_QUESTION_KEYS = ("path", "format", "split", "domain", "columns", "limit")
_SAMPLING_KEYS = ("temperature", "top_p", "max_tokens", "extra")
_TOP_KEYS = ("output", "model", "role", "samples", "seed", "questions", "sampling", "backend", "flush_every")


@dataclass(frozen=True, slots=True, kw_only=True)
class RolloutConfig:
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


def read_config_mapping(
    source: str | Path | Mapping[str, Any], base_dir: Path | None
) -> tuple[dict[str, Any], Path, str]:
    """The raw mapping, the directory relative inputs resolve against, and a label for errors."""
    if isinstance(source, Mapping):
        return dict(source), (base_dir or Path.cwd()), "<mapping>"
    path = Path(source)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", source=str(path)) from None
    if not isinstance(raw, dict):
        raise ConfigError("expected a mapping at the top level", source=str(path))
    return raw, path.parent.resolve(), str(path)


def unknown_keys(obj: Mapping[str, Any], accepted: tuple[str, ...], where: str) -> list[str]:
    """One problem per key that is not accepted, listing the accepted ones."""
    return [
        f"{where}{key}: unknown key; accepted: {', '.join(accepted)}" for key in obj if key not in accepted
    ]


def parse_component(value: Any, where: str, problems: list[str]) -> tuple[str, dict[str, Any]] | None:
    """``name`` or ``{name: {params}}`` -> ``(name, params)``."""
    if isinstance(value, str):
        return value, {}
    if isinstance(value, Mapping) and len(value) == 1:
        name, params = next(iter(value.items()))
        if params is None:
            params = {}
        if isinstance(name, str) and isinstance(params, Mapping):
            return name, dict(params)
    problems.append(f"{where}: expected a name or {{name: {{params}}}}, found {value!r}")
    return None


def local_model_paths(params: Mapping[str, Any], base_dir: Path) -> dict[str, Any]:
    """Backend ``model``/``model_path`` values that exist next to the config become absolute;
    hub ids (and served model names) stay as written."""
    out = dict(params)
    for key in ("model", "model_path"):
        value = out.get(key)
        if isinstance(value, str) and not Path(value).is_absolute() and (base_dir / value).exists():
            out[key] = str((base_dir / value).resolve())
    return out


def parse_questions(value: Any, base_dir: Path, where: str, problems: list[str]) -> QuestionSource | None:
    """A question pool spec: a path, or a mapping with :data:`_QUESTION_KEYS`."""
    if isinstance(value, str):
        value = {"path": value}
    if not isinstance(value, Mapping) or not isinstance(value.get("path"), str):
        problems.append(f"{where}: expected a path or a mapping with 'path'")
        return None
    problems.extend(unknown_keys(value, _QUESTION_KEYS, f"{where}."))
    path = value["path"]
    resolved = base_dir / path
    # a hub id has no local file; keep it as written
    if value.get("format", "auto") != "hf" or resolved.exists():
        path = str(resolved) if not Path(path).is_absolute() else path
    try:
        return QuestionSource(
            path=path,
            format=str(value.get("format", "auto")),
            split=str(value.get("split", "train")),
            domain=value.get("domain", "math"),
            columns=dict(value.get("columns") or {}),
            limit=value.get("limit"),
        )
    except TypeError as exc:
        problems.append(f"{where}: {exc}")
        return None


def parse_sampling(value: Any, where: str, problems: list[str]) -> Sampling:
    value = value or {}
    if not isinstance(value, Mapping):
        problems.append(f"{where}: expected a mapping")
        return Sampling()
    problems.extend(unknown_keys(value, _SAMPLING_KEYS, f"{where}."))
    s = Sampling(**{k: v for k, v in value.items() if k in _SAMPLING_KEYS})
    if not isinstance(s.temperature, int | float) or s.temperature < 0:
        problems.append(f"{where}.temperature: expected a number >= 0, found {s.temperature!r}")
    if not isinstance(s.top_p, int | float) or not 0 < s.top_p <= 1:
        problems.append(f"{where}.top_p: expected a number in (0, 1], found {s.top_p!r}")
    if not isinstance(s.max_tokens, int) or s.max_tokens < 1:
        problems.append(f"{where}.max_tokens: expected an integer >= 1, found {s.max_tokens!r}")
    return s


def _int(raw: Mapping[str, Any], key: str, default: int, minimum: int, problems: list[str]) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        problems.append(f"{key}: expected an integer >= {minimum}, found {value!r}")
        return default
    return value


def load_rollout_config(
    source: str | Path | Mapping[str, Any], *, base_dir: Path | None = None
) -> RolloutConfig:
    """Parse and check a rollout config; every problem is reported at once."""
    raw, base, label = read_config_mapping(source, base_dir)
    problems = unknown_keys(raw, _TOP_KEYS, "")
    for key in ("output", "model", "questions", "backend"):
        if key not in raw:
            problems.append(f"{key}: missing required key")
    if "model" in raw and not isinstance(raw["model"], str):
        problems.append(f"model: expected a string, found {raw['model']!r}")
    role = raw.get("role", "teacher")
    if role not in ("teacher", "student"):
        problems.append(f"role: expected 'teacher' or 'student', found {role!r}")
    samples = _int(raw, "samples", 1, 1, problems)
    seed = _int(raw, "seed", 0, 0, problems)
    flush_every = _int(raw, "flush_every", 16, 1, problems)
    questions = parse_questions(raw["questions"], base, "questions", problems) if "questions" in raw else None
    sampling = parse_sampling(raw.get("sampling"), "sampling", problems)
    backend = parse_component(raw["backend"], "backend", problems) if "backend" in raw else None
    if problems or questions is None or backend is None:
        raise ConfigError(problems or ["incomplete config"], source=label)
    return RolloutConfig(
        output=Path(raw["output"]),
        model=raw["model"],
        backend=backend[0],
        backend_params=local_model_paths(backend[1], base),
        questions=questions,
        role=role,
        samples=samples,
        seed=seed,
        sampling=sampling,
        flush_every=flush_every,
    )
