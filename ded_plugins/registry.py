"""Named components, and building them from config with every problem reported at once."""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from ded_plugins.errors import ConfigError, PluginError, UnknownComponentError


__all__ = ["KINDS", "Component", "Register", "Registry", "hints_of"]

#: component kinds, in the order ``ded plugins`` lists them
KINDS: tuple[str, ...] = (
    "processor",
    "selector",
    "exporter",
    "rollout_backend",
    "teacher_metric",
    "executor",
)
#: kinds that can appear as a pipeline stage; their names share one namespace
STAGE_KINDS: frozenset[str] = frozenset({"processor", "selector"})


@dataclass(frozen=True, slots=True)
class Component:
    """One registered factory."""

    kind: str
    name: str
    factory: Callable[..., Any]
    plugin: str
    description: str

    def parameters(self) -> list[inspect.Parameter]:
        """Keyword parameters a config may set."""
        return [
            p
            for p in inspect.signature(self.factory).parameters.values()
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]

    def signature_text(self) -> str:
        """``name=default, other: type`` for listings."""
        hints = hints_of(self.factory)
        out = []
        for p in self.parameters():
            ann = hints.get(p.name)
            text = p.name + (f": {_type_name(ann)}" if ann is not None else "")
            if p.default is not inspect.Parameter.empty:
                text += f" = {p.default!r}"
            out.append(text)
        return ", ".join(out)


class Register:
    """The callable handed to ``ded_register_*`` hooks: ``register(name, factory)``."""

    def __init__(self, registry: Registry, kind: str, plugin: str) -> None:
        self._registry = registry
        self._kind = kind
        self._plugin = plugin

    def __call__(self, name: str, factory: Callable[..., Any], *, description: str | None = None) -> None:
        """Register ``factory`` under ``name``; ``description`` defaults to its docstring's first line."""
        self._registry.add(self._kind, name, factory, plugin=self._plugin, description=description)


class Registry:
    """All components by kind and name."""

    def __init__(self) -> None:
        self._items: dict[str, dict[str, Component]] = {kind: {} for kind in KINDS}

    def add(
        self,
        kind: str,
        name: str,
        factory: Callable[..., Any],
        *,
        plugin: str = "?",
        description: str | None = None,
    ) -> None:
        """Add one component; names are unique per kind, and across the stage kinds."""
        if kind not in self._items:
            raise PluginError(f"plugin {plugin!r}: unknown component kind {kind!r}")
        if not name or not all(part.isidentifier() for part in name.split(".")):
            raise PluginError(
                f"plugin {plugin!r}: {kind} name {name!r} must be snake_case words, "
                "third-party names namespaced as 'package.name'"
            )
        if not callable(factory):
            raise PluginError(f"plugin {plugin!r}: {kind} {name!r} factory is not callable")
        clash = self._items[kind].get(name)
        if clash is None and kind in STAGE_KINDS:
            other = next(iter(STAGE_KINDS - {kind}))
            clash = self._items[other].get(name)
        if clash is not None:
            raise PluginError(
                f"plugin {plugin!r} registers {kind} {name!r}, already registered by plugin {clash.plugin!r}"
            )
        if description is None:
            doc = inspect.getdoc(factory) or ""
            description = doc.strip().splitlines()[0] if doc.strip() else ""
        self._items[kind][name] = Component(kind, name, factory, plugin, description)

    def names(self, kind: str) -> list[str]:
        """Sorted names registered for ``kind``."""
        return sorted(self._items[kind])

    def __iter__(self) -> Iterator[Component]:
        for kind in KINDS:
            yield from (self._items[kind][n] for n in sorted(self._items[kind]))

    def get(self, kind: str | frozenset[str], name: str, *, where: str = "") -> Component:
        """Look ``name`` up among one kind, or several (e.g. :data:`STAGE_KINDS`)."""
        kinds = [kind] if isinstance(kind, str) else sorted(kind)
        for k in kinds:
            if name in self._items[k]:
                return self._items[k][name]
        known = sorted(n for k in kinds for n in self._items[k])
        label = " or ".join(kinds)
        at = f"{where}: " if where else ""
        raise UnknownComponentError(
            f"{at}unknown {label} {name!r}; registered: {', '.join(known) or '(none)'}"
        )

    def check_params(self, component: Component, params: Mapping[str, Any], *, where: str) -> list[str]:
        """Every problem with ``params`` for ``component``, as messages (empty when fine)."""
        sig = inspect.signature(component.factory)
        accepts_any = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
        accepted = {p.name: p for p in component.parameters()}
        hints = hints_of(component.factory)
        problems: list[str] = []
        for key in params:
            if key not in accepted and not accepts_any:
                problems.append(
                    f"{where}: unknown parameter {key!r} for {component.kind} {component.name!r}; "
                    f"accepted: {', '.join(accepted) or '(none)'}"
                )
        for pname, p in accepted.items():
            if pname not in params:
                if p.default is inspect.Parameter.empty:
                    problems.append(f"{where}: {component.kind} {component.name!r} needs parameter {pname!r}")
                continue
            ann = hints.get(pname)
            if ann is not None and not _matches(params[pname], ann):
                problems.append(
                    f"{where}.{pname}: expected {_type_name(ann)}, found "
                    f"{type(params[pname]).__name__} {params[pname]!r}"
                )
        return problems

    def build(
        self, kind: str | frozenset[str], name: str, params: Mapping[str, Any], *, where: str = ""
    ) -> Any:
        """Create the component ``name`` with ``params`` after checking them."""
        component = self.get(kind, name, where=where)
        problems = self.check_params(component, params, where=where or name)
        if problems:
            raise ConfigError(problems)
        try:
            return component.factory(**params)
        except ConfigError:
            raise
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where or name}: {exc}") from exc


def hints_of(factory: Callable[..., Any]) -> dict[str, Any]:
    """A factory's parameter type hints (a class's ``__init__``); ``{}`` when they cannot be resolved."""
    target = factory.__init__ if inspect.isclass(factory) else factory
    try:
        return typing.get_type_hints(target)
    except Exception:  # unresolved forward references: fall back to no type checking
        return {}


def _matches(value: Any, ann: Any) -> bool:
    supertype = getattr(ann, "__supertype__", None)
    if supertype is not None:  # a NewType such as InputPath: check against what it refines
        return _matches(value, supertype)
    if ann is Any or ann is object:
        return True
    origin = get_origin(ann)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in get_args(ann))
    if origin is Literal:
        return value in get_args(ann)
    if ann is type(None):
        return value is None
    if ann is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if ann is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if ann is Path:
        return isinstance(value, str | Path)
    if origin in (list, tuple, typing.Sequence, _abc_sequence()):
        args = get_args(ann)
        if not isinstance(value, list | tuple):
            return False
        return not args or all(_matches(v, args[0]) for v in value)
    if origin in (dict, typing.Mapping, _abc_mapping()):
        return isinstance(value, dict)
    if isinstance(ann, type):
        return isinstance(value, ann)
    return True  # anything fancier is the factory's own business


def _abc_sequence() -> Any:
    import collections.abc

    return collections.abc.Sequence


def _abc_mapping() -> Any:
    import collections.abc

    return collections.abc.Mapping


def _type_name(ann: Any) -> str:
    if isinstance(ann, type):
        return ann.__name__
    if getattr(ann, "__supertype__", None) is not None:
        return str(ann.__name__)
    if get_origin(ann) in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in get_args(ann))
    return str(ann).replace("typing.", "").replace("collections.abc.", "")
