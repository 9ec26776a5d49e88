"""Curation configs: strict YAML (or a mapping) to a frozen config, every problem at once.

Defaults live here, in code, not copied across YAML files. Relative input paths are
resolved against the config file's directory (``base_dir`` for a mapping); ``output_dir``
is resolved against the current directory, as LLaMA-Factory does for its outputs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ded_plugins.errors import ConfigError
from ded_plugins.io import read_questions
from ded_plugins.records import Question
from ded_plugins.registry import STAGE_KINDS, Registry


__all__ = [
    "CurationConfig",
    "QuestionSource",
    "StageSpec",
    "canonical_json",
    "check_components",
    "load_curation_config",
    "load_yaml",
]

_TOP_KEYS = ("run", "output_dir", "seed", "questions", "rollouts", "stages", "export")
_QUESTION_KEYS = ("path", "format", "split", "domain", "columns", "limit")
_QUESTION_FORMATS = ("auto", "jsonl", "parquet", "hf")


@dataclass(frozen=True, kw_only=True)
class QuestionSource:
    """Where the question pool comes from and how its columns map to ours."""

    path: str
    format: str = "auto"
    split: str = "train"
    domain: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    limit: int | None = None

    def read(self) -> dict[str, Question]:
        """The pool, keyed by question id, in file order."""
        return read_questions(
            self.path,
            format=self.format,
            split=self.split,
            columns=dict(self.columns) or None,
            default_domain=self.domain,
            limit=self.limit,
        )


@dataclass(frozen=True, kw_only=True)
class StageSpec:
    """One component named in the config, with its parameters."""

    name: str
    params: Mapping[str, Any]
    #: where it was written, for error messages (``file.yaml:12: stages[2]``)
    where: str


@dataclass(frozen=True, kw_only=True)
class CurationConfig:
    """A whole curation run, resolved."""

    run: str
    output_dir: Path
    seed: int
    questions: QuestionSource
    rollouts: tuple[Path, ...]
    stages: tuple[StageSpec, ...]
    export: tuple[StageSpec, ...]
    base_dir: Path
    source: str

    @property
    def run_dir(self) -> Path:
        """``<output_dir>/<run>``."""
        return self.output_dir / self.run

    def to_dict(self) -> dict[str, Any]:
        """The resolved config, as written beside the outputs."""
        return {
            "run": self.run,
            "output_dir": str(self.output_dir),
            "seed": self.seed,
            "questions": {
                "path": self.questions.path,
                "format": self.questions.format,
                "split": self.questions.split,
                "domain": self.questions.domain,
                "columns": dict(self.questions.columns),
                "limit": self.questions.limit,
            },
            "rollouts": [str(p) for p in self.rollouts],
            "stages": [{s.name: dict(s.params)} for s in self.stages],
            "export": [{s.name: dict(s.params)} for s in self.export],
        }


def canonical_json(obj: Any) -> str:
    """Key-sorted compact JSON, for hashing."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def config_hash(obj: Any) -> str:
    """A short content hash of any JSON-able object."""
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()[:16]


# --- YAML with line numbers ---------------------------------------------------------------


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping key, by key path."""


def load_yaml(path: str | Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Parse a YAML file; returns the data and ``{key path: 1-based line}``."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {p}")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not valid UTF-8 (byte {exc.start})") from None
    try:
        node = yaml.compose(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{p}:{mark.line + 1}" if mark is not None else str(p)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: malformed YAML: {problem}") from None
    lines: dict[tuple[Any, ...], int] = {}
    if node is None:
        return None, lines
    _collect_lines(node, (), lines)
    data = yaml.load(text, Loader=_LineLoader)
    return data, lines


def _collect_lines(node: yaml.Node, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            _collect_lines(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _collect_lines(item, (*path, i), lines)


# --- validation ----------------------------------------------------------------------------


class _Checker:
    def __init__(self, source: str, lines: Mapping[tuple[Any, ...], int]) -> None:
        self.source = source
        self.lines = lines
        self.problems: list[str] = []

    def where(self, path: tuple[Any, ...]) -> str:
        dotted = ""
        for part in path:
            dotted += f"[{part}]" if isinstance(part, int) else (f".{part}" if dotted else str(part))
        probe = path
        while probe and probe not in self.lines:
            probe = probe[:-1]
        line = self.lines.get(probe)
        loc = f"{self.source}:{line}" if line else self.source
        return f"{loc}: {dotted}" if dotted else loc

    def add(self, path: tuple[Any, ...], message: str) -> None:
        self.problems.append(f"{self.where(path)}: {message}")

    def keys(self, obj: Mapping[str, Any], accepted: Sequence[str], path: tuple[Any, ...]) -> None:
        for key in obj:
            if key not in accepted:
                self.add((*path, key), f"unknown key {key!r}; accepted: {', '.join(accepted)}")

    def typed(
        self, obj: Mapping[str, Any], key: str, types: type | tuple[type, ...], path: tuple[Any, ...]
    ) -> Any:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            ok = False
        else:
            ok = isinstance(value, types)
        if not ok:
            names = types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
            self.add((*path, key), f"expected {names}, found {type(value).__name__} {value!r}")
            return None
        return value


def check_components(
    stages: Sequence[StageSpec], export: Sequence[StageSpec], registry: Registry
) -> list[str]:
    """Every problem with the named components and their parameters, as messages."""
    problems: list[str] = []
    for specs, kinds in ((stages, STAGE_KINDS), (export, frozenset({"exporter"}))):
        for spec in specs:
            try:
                component = registry.get(kinds, spec.name, where=spec.where)
            except ConfigError as exc:
                problems.extend(exc.problems)
                continue
            problems.extend(registry.check_params(component, spec.params, where=spec.where))
    return problems


def load_curation_config(
    source: str | Path | Mapping[str, Any],
    *,
    base_dir: str | Path | None = None,
    registry: Registry | None = None,
) -> CurationConfig:
    """Load and check a curation config; raises :class:`ConfigError` listing every problem.

    With ``registry``, the named components and their parameters are checked too, so one
    error lists everything that is wrong.
    """
    if isinstance(source, Mapping):
        data: Any = source
        lines: dict[tuple[Any, ...], int] = {}
        label = "<config>"
        base = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        path = Path(source)
        data, lines = load_yaml(path)
        label = str(path)
        base = Path(base_dir) if base_dir is not None else path.resolve().parent
    c = _Checker(label, lines)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{label}: expected a mapping at the top level, found {type(data).__name__}")
    c.keys(data, _TOP_KEYS, ())
    run = c.typed(data, "run", str, ())
    if run is None and "run" not in data:
        c.add(("run",), "missing required key 'run' (the run's name)")
    elif run is not None and (not run or "/" in run or run.startswith(".")):
        c.add(("run",), f"must be a plain directory name, found {run!r}")
    output_dir = c.typed(data, "output_dir", str, ()) or "runs"
    seed = c.typed(data, "seed", int, ())
    questions = _questions(c, data.get("questions"), base)
    rollouts = _rollouts(c, data.get("rollouts"), base)
    stages = _specs(c, data.get("stages"), "stages", required=False)
    export = _specs(c, data.get("export"), "export", required=False)
    if not stages and not export and "stages" in data:
        c.add(("stages",), "no stages and no exporters: nothing to do")
    if registry is not None:
        c.problems.extend(check_components(stages, export, registry))
    if c.problems:
        raise ConfigError(c.problems)
    assert run is not None and questions is not None
    return CurationConfig(
        run=run,
        output_dir=Path(output_dir).expanduser(),
        seed=seed if seed is not None else 0,
        questions=questions,
        rollouts=tuple(rollouts),
        stages=tuple(stages),
        export=tuple(export),
        base_dir=base,
        source=label,
    )


def _resolve(base: Path, value: str) -> str:
    p = Path(value).expanduser()
    if p.is_absolute():
        return str(p)
    candidate = base / p
    # a bare hub id ("simplescaling/s1K") stays as written when no such local path exists
    return str(candidate) if candidate.exists() or p.suffix else value


def _questions(c: _Checker, obj: Any, base: Path) -> QuestionSource | None:
    path = ("questions",)
    if obj is None:
        c.add(path, "missing required key 'questions' (the question pool)")
        return None
    if isinstance(obj, str):
        obj = {"path": obj}
    if not isinstance(obj, Mapping):
        c.add(path, f"expected a mapping or a path, found {type(obj).__name__}")
        return None
    c.keys(obj, _QUESTION_KEYS, path)
    src = c.typed(obj, "path", str, path)
    if src is None and "path" not in obj:
        c.add((*path, "path"), "missing required key 'path' (JSONL, Parquet, or HF dataset id/dir)")
    fmt = c.typed(obj, "format", str, path) or "auto"
    if fmt not in _QUESTION_FORMATS:
        c.add((*path, "format"), f"expected one of {', '.join(_QUESTION_FORMATS)}, found {fmt!r}")
    columns = c.typed(obj, "columns", dict, path) or {}
    for k, v in columns.items():
        if k not in ("id", "domain", "prompt", "answer", "tests", "metadata"):
            c.add(
                (*path, "columns", k), "unknown field; accepted: id, domain, prompt, answer, tests, metadata"
            )
        elif not isinstance(v, str):
            c.add((*path, "columns", k), f"expected a column name, found {v!r}")
    limit = c.typed(obj, "limit", int, path)
    if src is None:
        return None
    return QuestionSource(
        path=_resolve(base, src),
        format=fmt,
        split=c.typed(obj, "split", str, path) or "train",
        domain=c.typed(obj, "domain", str, path),
        columns=columns,
        limit=limit,
    )


def _rollouts(c: _Checker, obj: Any, base: Path) -> list[Path]:
    if obj is None:
        c.add(("rollouts",), "missing required key 'rollouts' (teacher rollout JSONL files)")
        return []
    items = [obj] if isinstance(obj, str) else obj
    if not isinstance(items, list) or not items:
        c.add(("rollouts",), "expected a non-empty list of rollout JSONL paths")
        return []
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, str):
            c.add(("rollouts", i), f"expected a path, found {type(item).__name__}")
            continue
        out.append(Path(_resolve(base, item)))
    return out


def _specs(c: _Checker, obj: Any, key: str, *, required: bool) -> list[StageSpec]:
    if obj is None:
        if required:
            c.add((key,), f"missing required key {key!r}")
        return []
    if not isinstance(obj, list):
        c.add((key,), f"expected a list of {{name: {{params}}}} items, found {type(obj).__name__}")
        return []
    out = []
    for i, item in enumerate(obj):
        path = (key, i)
        if isinstance(item, str):
            out.append(StageSpec(name=item, params={}, where=c.where(path)))
            continue
        if not isinstance(item, Mapping) or len(item) != 1:
            c.add(path, "expected one component as {name: {params}} or a bare name")
            continue
        ((name, params),) = item.items()
        if params is None:
            params = {}
        if not isinstance(name, str) or not isinstance(params, Mapping):
            c.add(path, f"expected {{name: {{params}}}}, found {item!r}")
            continue
        out.append(StageSpec(name=name, params=dict(params), where=c.where((*path, name))))
    return out
