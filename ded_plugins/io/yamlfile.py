"""Config files: YAML parsed with the line of every key, so every problem can say where it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ded_plugins.errors import ConfigError


__all__ = ["load_yaml", "read_yaml"]


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


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file without line bookkeeping (recipes, LLaMA-Factory YAML)."""
    return load_yaml(path)[0]
