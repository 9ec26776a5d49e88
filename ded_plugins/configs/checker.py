"""The one config checker: every problem at once, each naming file, line and key.

The three schemas (``curate``, ``rollout``, ``teacher``) are short functions over a
:class:`Checker`; what they share lives here: the YAML line numbers, the
``{name: params}`` component form, question sources, declared inputs, and the one path
rule: **an input path is relative to the file that names it** (a config file, or the
``dataset_info.json`` of a LLaMA-Factory entry); an output path is relative to the
directory you run in, as LLaMA-Factory's ``output_dir`` is.

A malformed value is always an error naming where it was written, never a silent default.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from ded_plugins.errors import ConfigError
from ded_plugins.io.pools import iter_questions
from ded_plugins.io.records import questions_by_id
from ded_plugins.io.yamlfile import load_yaml
from ded_plugins.records import Question
from ded_plugins.registry import Registry, hints_of
from ded_plugins.steps import InputPath, ModelRef


__all__ = [
    "Checker",
    "ComponentSpec",
    "QuestionSource",
    "QuestionsRef",
    "declared_kind",
    "open_config",
]

#: a factory parameter typed as a question source (a path or a ``questions:``-style mapping):
#: the checker resolves it like the pool and the factory receives a :class:`QuestionSource`
QuestionsRef = typing.NewType("QuestionsRef", object)

_QUESTION_KEYS = ("path", "format", "split", "domain", "columns", "limit")
_QUESTION_FORMATS = ("auto", "jsonl", "parquet", "hf")
_QUESTION_FIELDS = ("id", "domain", "prompt", "answer", "tests", "metadata")


@dataclass(frozen=True, kw_only=True)
class QuestionSource:
    """Where a question pool comes from and how its columns map to ours."""

    path: str
    format: str = "auto"
    split: str = "train"
    domain: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    limit: int | None = None

    def rows(self) -> Iterator[tuple[int | None, Question]]:
        """``(line, question)`` in file order, streamed (duplicate ids are the reader's to check)."""
        return iter_questions(
            self.path,
            format=self.format,
            split=self.split,
            columns=dict(self.columns) or None,
            default_domain=self.domain,
            limit=self.limit,
        )

    def read(self) -> dict[str, Question]:
        """The pool, keyed by question id, in file order (a repeated id is an error)."""
        return questions_by_id(self.rows(), source=self.path)

    def to_dict(self) -> dict[str, Any]:
        """The resolved form written beside a run's outputs (and hashed into its fingerprint)."""
        return {
            "path": self.path,
            "format": self.format,
            "split": self.split,
            "domain": self.domain,
            "columns": dict(self.columns),
            "limit": self.limit,
        }


@dataclass(frozen=True, kw_only=True)
class ComponentSpec:
    """One component named in a config, with its parameters as written (resolved later)."""

    name: str
    params: Mapping[str, Any]
    #: where it was written, for messages (``file.yaml:12: stages[2]``)
    where: str
    #: its key path in the config (for the line of a parameter)
    path: tuple[Any, ...] = ()


def declared_kind(annotation: Any) -> str | None:
    """``"input"``, ``"model"`` or ``"questions"`` when a parameter annotation declares an input."""
    if annotation is InputPath:
        return "input"
    if annotation is ModelRef:
        return "model"
    if annotation is QuestionsRef:
        return "questions"
    for arg in get_args(annotation):
        kind = declared_kind(arg)
        if kind is not None:
            return kind
    return None


class Checker:
    """Collects problems for one config source; :meth:`finish` raises them all at once."""

    def __init__(
        self, label: str, lines: Mapping[tuple[Any, ...], int], base_dir: Path, *, check_inputs: bool = True
    ) -> None:
        self.label = label
        self.lines = lines
        self.base_dir = base_dir
        #: False: resolve input paths without requiring them to exist yet (checking a recipe)
        self.check_inputs = check_inputs
        self.problems: list[str] = []

    # --- where and what ------------------------------------------------------------------

    def where(self, path: tuple[Any, ...]) -> str:
        """``file:line: dotted.key[2]`` for a key path (the nearest line known)."""
        dotted = ""
        for part in path:
            dotted += f"[{part}]" if isinstance(part, int) else (f".{part}" if dotted else str(part))
        probe = path
        while probe and probe not in self.lines:
            probe = probe[:-1]
        line = self.lines.get(probe)
        loc = f"{self.label}:{line}" if line else self.label
        return f"{loc}: {dotted}" if dotted else loc

    def add(self, path: tuple[Any, ...], message: str) -> None:
        """Record one problem at ``path``."""
        self.problems.append(f"{self.where(path)}: {message}")

    def finish(self) -> None:
        """Raise :class:`ConfigError` listing every problem, if there are any."""
        if self.problems:
            raise ConfigError(self.problems)

    # --- shapes --------------------------------------------------------------------------

    def keys(self, obj: Mapping[str, Any], accepted: Sequence[str], path: tuple[Any, ...] = ()) -> None:
        """One problem per key of ``obj`` that is not ``accepted``."""
        for key in obj:
            if key not in accepted:
                self.add((*path, key), f"unknown key {key!r}; accepted: {', '.join(accepted)}")

    def require(self, obj: Mapping[str, Any], names: Sequence[str], path: tuple[Any, ...] = ()) -> None:
        """One problem per missing required key."""
        for name in names:
            if name not in obj:
                self.add((*path, name), f"missing required key {name!r}")

    def typed(
        self,
        obj: Mapping[str, Any],
        key: str,
        types_: type | tuple[type, ...],
        path: tuple[Any, ...] = (),
        default: Any = None,
    ) -> Any:
        """``obj[key]`` when present and of ``types_`` (bool is never an int), else ``default``."""
        if key not in obj or obj[key] is None:
            return default
        value = obj[key]
        allowed = types_ if isinstance(types_, tuple) else (types_,)
        ok = isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed)
        if float in allowed and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            names = " or ".join(t.__name__ for t in allowed)
            self.add((*path, key), f"expected {names}, found {type(value).__name__} {_short(value)}")
            return default
        return value

    def integer(
        self,
        obj: Mapping[str, Any],
        key: str,
        path: tuple[Any, ...],
        default: int,
        minimum: int | None = None,
    ) -> int:
        """An integer (not bool) at least ``minimum``."""
        value = self.typed(obj, key, int, path, default)
        if minimum is not None and value < minimum and key in obj:
            self.add((*path, key), f"expected an integer >= {minimum}, found {value!r}")
            return default
        return int(value)

    def flag(self, obj: Mapping[str, Any], key: str, path: tuple[Any, ...], default: bool) -> bool:
        """A boolean."""
        return bool(self.typed(obj, key, bool, path, default))

    def mapping(self, obj: Mapping[str, Any], key: str, path: tuple[Any, ...] = ()) -> dict[str, Any]:
        """A mapping (``{}`` when absent)."""
        return dict(self.typed(obj, key, dict, path, {}))

    def str_list(
        self, obj: Mapping[str, Any], key: str, path: tuple[Any, ...], default: Sequence[str] = ()
    ) -> tuple[str, ...]:
        """A list of strings (a single string is a list of one)."""
        if key not in obj or obj[key] is None:
            return tuple(default)
        value = obj[key]
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list):
            self.add(
                (*path, key), f"expected a list of strings, found {type(value).__name__} {_short(value)}"
            )
            return tuple(default)
        out = []
        for i, item in enumerate(value):
            if isinstance(item, str | int | float) and not isinstance(item, bool):
                out.append(str(item))
            else:
                self.add((*path, key, i), f"expected a string, found {type(item).__name__} {_short(item)}")
        return tuple(out)

    def env(self, obj: Mapping[str, Any], key: str, path: tuple[Any, ...]) -> dict[str, str]:
        """Environment variables: a mapping of names to scalar values."""
        out: dict[str, str] = {}
        for name, value in self.mapping(obj, key, path).items():
            if not isinstance(name, str) or not name or "=" in name:
                self.add((*path, key, name), f"expected an environment variable name, found {name!r}")
            elif isinstance(value, dict | list) or value is None:
                self.add((*path, key, name), f"expected a string or number, found {_short(value)}")
            else:
                out[name] = str(value).lower() if isinstance(value, bool) else str(value)
        return out

    def plain_name(self, obj: Mapping[str, Any], key: str, path: tuple[Any, ...], what: str) -> str | None:
        """A plain directory-name-like string (no ``/``, not hidden)."""
        value = self.typed(obj, key, str, path)
        if value is not None and (not value or "/" in value or value.startswith(".")):
            self.add((*path, key), f"must be a plain {what} name, found {value!r}")
            return None
        return str(value) if value is not None else None

    # --- components ------------------------------------------------------------------------

    def component(self, value: Any, path: tuple[Any, ...]) -> ComponentSpec | None:
        """``name`` or ``{name: {params}}``."""
        if isinstance(value, str) and value:
            return ComponentSpec(name=value, params={}, where=self.where(path), path=path)
        if isinstance(value, Mapping) and len(value) == 1:
            ((name, params),) = value.items()
            params = {} if params is None else params
            if isinstance(name, str) and isinstance(params, Mapping):
                return ComponentSpec(
                    name=name, params=dict(params), where=self.where((*path, name)), path=(*path, name)
                )
        self.add(path, f"expected one component as a name or {{name: {{params}}}}, found {_short(value)}")
        return None

    def components(self, obj: Mapping[str, Any], key: str, path: tuple[Any, ...] = ()) -> list[ComponentSpec]:
        """A list of components."""
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(
                (*path, key), f"expected a list of {{name: {{params}}}} items, found {type(value).__name__}"
            )
            return []
        out = []
        for i, item in enumerate(value):
            spec = self.component(item, (*path, key, i))
            if spec is not None:
                out.append(spec)
        return out

    # --- paths -----------------------------------------------------------------------------

    def input_path(self, value: Any, path: tuple[Any, ...], *, what: str = "file") -> Path | None:
        """An input that must exist: relative to the config file's directory."""
        if not isinstance(value, str) or not value:
            self.add(path, f"expected a path, found {_short(value)}")
            return None
        p = Path(value).expanduser()
        resolved = _normal(p if p.is_absolute() else self.base_dir / p)
        if not resolved.exists() and self.check_inputs:
            self.add(path, f"{what} not found: {resolved}{_cwd_hint(p, what)}")
            return None
        return resolved

    def model_ref(self, value: Any, path: tuple[Any, ...]) -> str | None:
        """A local model/tokenizer directory (relative to the config file) or a hub id (``org/name``)."""
        if not isinstance(value, str) or not value:
            self.add(path, f"expected a model directory or hub id, found {_short(value)}")
            return None
        p = Path(value).expanduser()
        local = p if p.is_absolute() else self.base_dir / p
        if local.exists():
            return str(_normal(local))
        if _looks_like_hub_id(value) and not (Path.cwd() / p).exists():
            return value
        return str(self.input_path(value, path, what="model directory") or value)

    def output_path(self, value: Any, path: tuple[Any, ...]) -> Path | None:
        """An output location: relative to the current directory (as LLaMA-Factory's ``output_dir``)."""
        if not isinstance(value, str) or not value:
            self.add(path, f"expected a path, found {_short(value)}")
            return None
        return Path(value).expanduser()

    def questions(self, value: Any, path: tuple[Any, ...]) -> QuestionSource | None:
        """A question source: a path, or ``{path, format, split, domain, columns, limit}``."""
        if value is None:
            self.add(path, "missing required key (the question pool: a path or {path, ...})")
            return None
        if isinstance(value, str):
            value = {"path": value}
        if not isinstance(value, Mapping):
            self.add(path, f"expected a mapping or a path, found {type(value).__name__}")
            return None
        self.keys(value, _QUESTION_KEYS, path)
        src = self.typed(value, "path", str, path)
        if src is None and "path" not in value:
            self.add((*path, "path"), "missing required key 'path' (JSONL, Parquet, or HF dataset id/dir)")
        fmt = self.typed(value, "format", str, path, "auto")
        if fmt not in _QUESTION_FORMATS:
            self.add((*path, "format"), f"expected one of {', '.join(_QUESTION_FORMATS)}, found {fmt!r}")
        columns = self.mapping(value, "columns", path)
        for k, v in columns.items():
            if k not in _QUESTION_FIELDS:
                self.add((*path, "columns", k), f"unknown field; accepted: {', '.join(_QUESTION_FIELDS)}")
            elif not isinstance(v, str):
                self.add((*path, "columns", k), f"expected a column name, found {_short(v)}")
        limit = self.typed(value, "limit", int, path)
        if limit is not None and limit < 1:
            self.add((*path, "limit"), f"expected an integer >= 1, found {limit!r}")
        split = self.typed(value, "split", str, path, "train")
        domain = self.typed(value, "domain", str, path)
        if src is None:
            return None
        p = Path(src).expanduser()
        local = p if p.is_absolute() else self.base_dir / p
        # a file's name (``pool.jsonl``) is a path, whatever it looks like; ``org/name`` a hub id
        hub = _looks_like_hub_id(src) and p.suffix not in (".jsonl", ".json", ".parquet")
        if local.exists() or (not self.check_inputs and not hub):
            resolved = str(_normal(local))
        elif fmt == "hf" or (fmt == "auto" and hub):
            resolved = src  # a hub dataset id
        else:
            self.add((*path, "path"), f"question pool not found: {_normal(local)}{_cwd_hint(p, 'pool')}")
            return None
        return QuestionSource(
            path=resolved, format=fmt, split=split, domain=domain, columns=columns, limit=limit
        )

    # --- declared inputs of a component -------------------------------------------------

    def resolve_component(
        self, spec: ComponentSpec, registry: Registry, kinds: str | frozenset[str]
    ) -> tuple[dict[str, Any], dict[str, str]] | None:
        """``spec`` checked against the factory ``registry`` holds for it, its declared inputs
        resolved: ``(params, {label: path})``; ``None`` (problem noted) when none is registered."""
        try:
            component = registry.get(kinds, spec.name, where=spec.where)
        except ConfigError as exc:
            self.problems.extend(exc.problems)
            return None
        self.problems.extend(registry.check_params(component, spec.params, where=spec.where))
        return self.resolve_declared(spec, hints_of(component.factory))

    def resolve_declared(
        self, spec: ComponentSpec, hints: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Resolve the parameters typed as declared inputs; returns ``(params, {label: path})``.

        ``hints`` are the factory's type hints. A list of paths is resolved item by item.
        """
        params = dict(spec.params)
        inputs: dict[str, str] = {}
        for name, value in spec.params.items():
            kind = declared_kind(hints.get(name))
            if kind is None or value is None:
                continue
            at = (*spec.path, name)
            if kind == "questions":
                if (
                    isinstance(value, Mapping)
                    and not ({"path"} <= set(value))
                    and all(isinstance(v, str | Mapping) for v in value.values())
                ):  # {label: source, ...}
                    sources = {k: self.questions(v, (*at, k)) for k, v in value.items()}
                    params[name] = sources
                    for k, s in sources.items():
                        if s is not None:
                            inputs[f"{name}.{k}"] = s.path
                else:
                    source = self.questions(value, at)
                    params[name] = source
                    if source is not None:
                        inputs[name] = source.path
                continue
            resolve = self.model_ref if kind == "model" else self.input_path
            if isinstance(value, Mapping):  # {name: path, ...}
                resolved_map = {k: resolve(v, (*at, k)) for k, v in value.items()}
                params[name] = {k: str(v) for k, v in resolved_map.items() if v is not None}
                for k, v in params[name].items():
                    inputs[f"{name}.{k}"] = v
            elif isinstance(value, list | tuple):
                resolved_items = [resolve(v, (*at, i)) for i, v in enumerate(value)]
                params[name] = [str(v) for v in resolved_items if v is not None]
                for i, v in enumerate(params[name]):
                    inputs[f"{name}[{i}]"] = v
            else:
                resolved = resolve(value, at)
                if resolved is not None:
                    params[name] = str(resolved)
                    inputs[name] = str(resolved)
        return params, inputs


def open_config(
    source: str | Path | Mapping[str, Any],
    *,
    base_dir: str | Path | None = None,
    label: str | None = None,
    check_inputs: bool = True,
) -> tuple[Mapping[str, Any], Checker]:
    """The top-level mapping of a config and a :class:`Checker` for it.

    A path is read as YAML (base directory: the file's); a mapping is taken as is, with
    ``base_dir`` (default: the current directory) and ``label`` for messages.
    """
    if isinstance(source, Mapping):
        data: Any = source
        lines: dict[tuple[Any, ...], int] = {}
        name = label or "<config>"
        base = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        path = Path(source)
        data, lines = load_yaml(path)
        name = label or str(path)
        base = Path(base_dir) if base_dir is not None else path.resolve().parent
    if not isinstance(data, Mapping):
        raise ConfigError(f"{name}: expected a mapping at the top level, found {type(data).__name__}")
    return data, Checker(name, lines, base.absolute(), check_inputs=check_inputs)


def _cwd_hint(path: Path, what: str) -> str:
    """The likely mistake when a relative input is missing: it exists from the current directory."""
    if path.is_absolute() or not (Path.cwd() / path).exists():
        return ""
    return (
        f" (a {what} of that name exists in the current directory; input paths are relative to "
        f"the config file, so write {str(_normal(Path.cwd() / path))!r})"
    )


def _normal(path: Path) -> Path:
    """Absolute, with ``..`` and ``.`` folded away (symlinks left as they are)."""
    return Path(os.path.normpath(path.absolute()))


def _looks_like_hub_id(value: str) -> bool:
    """``org/name`` or a legacy bare ``name`` (no leading dot, slash or tilde): a hub repository id."""
    parts = value.split("/")
    return (
        len(parts) <= 2
        and all(parts)
        and not value.startswith((".", "~"))
        and all(c.isalnum() or c in "-_." for part in parts for c in part)
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
