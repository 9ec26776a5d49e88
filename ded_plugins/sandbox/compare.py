"""Judging one test outside the child: LiveCodeBench's output comparison rules.

The child reports only plain data (:func:`ded_plugins.sandbox.inside.ded_child.encode`,
tagged as :mod:`ded_plugins.sandbox.inside.wire` describes); here it is turned back into
builtin Python values and compared with the expected output, so no object of the
program's making ever takes part in a comparison.

* stdin/stdout: both texts are stripped and split into lines, each line stripped; the
  line counts must agree; a line matches if it is string-equal, or if both sides split
  on whitespace into the same list of ``Decimal`` values (exact, no tolerance).
* call-based: the expected output is JSON-decoded; a top-level tuple counts as a list;
  the verdict is Python ``==`` (so ``3.0 == 3`` and ``1 == true`` hold, nested tuples,
  generators and float noise do not).
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Callable, Mapping
from typing import Any

from ded_plugins.sandbox.inside import wire


__all__ = ["decode", "judge_result", "lines_match", "parse_expected", "values_match"]


class _Opaque:
    """A value the child could not describe as plain data; equal to nothing."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __eq__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


class _ArrayResult:
    """A numpy array: upstream's ``==`` gives an array whose truth value is an error."""

    def __init__(self, items: Any, size: int) -> None:
        self.items, self.size = items, size


def _big_int(text: str) -> int:
    # int(str) is capped at 4300 digits in the host process; Decimal is not
    return int(decimal.Decimal(text))


def parse_expected(text: str) -> Any:
    """Decode a call-based expected output (JSON), allowing integers of any length."""
    return json.loads(text, parse_int=_big_int)


def decode(plain: Any) -> Any:
    """Rebuild builtin values from :func:`encode`'s plain data."""
    if isinstance(plain, list):
        return [decode(v) for v in plain]
    if not isinstance(plain, dict):
        return plain
    if len(plain) == 1:
        (tag, body), *_ = plain.items()
        rebuild = _REBUILD.get(tag)
        if rebuild is not None:
            return rebuild(body)
    if _NDARRAY in plain:
        return _ArrayResult(decode(plain[_NDARRAY]), int(plain.get(_SIZE, 0)))
    return _Opaque("malformed")


#: one-key objects by their tag (a JSON object's keys are strings, so any tag can be looked up)
_REBUILD: dict[str, Callable[[Any], Any]] = {
    wire.TAG_INT: lambda body: int(body, 16),
    wire.TAG_FLOAT: float,
    wire.TAG_TUPLE: lambda body: tuple(decode(v) for v in body),
    wire.TAG_DICT: lambda body: {decode(k): decode(v) for k, v in body},
    wire.TAG_SET: lambda body: {decode(v) for v in body},
    wire.TAG_FROZENSET: lambda body: frozenset(decode(v) for v in body),
    wire.TAG_COMPLEX: lambda body: complex(body[0], body[1]),
    wire.TAG_BYTES: bytes.fromhex,
    wire.TAG_OPAQUE: lambda body: _Opaque(str(body)),
}
_NDARRAY, _SIZE = wire.TAG_NDARRAY, wire.TAG_SIZE


def values_match(plain: Any, expected: Any) -> bool | None:
    """Call-based verdict; ``None`` means upstream raises (a runtime error)."""
    try:
        value = decode(plain)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return False
    if isinstance(value, _ArrayResult):
        if value.size != 1:
            return None
        items = value.items
        while isinstance(items, list) and len(items) == 1:
            items = items[0]
        return bool(items == expected)
    if isinstance(value, tuple):
        value = list(value)
    try:
        return bool(value == expected)
    except RecursionError:
        return False


def _stripped_lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]


def _decimals(line: str) -> list[decimal.Decimal] | None:
    try:
        return [decimal.Decimal(token) for token in line.split()]
    except (decimal.InvalidOperation, ValueError):
        return None


def lines_match(output: str, expected: str) -> bool:
    """stdin/stdout verdict."""
    got, want = _stripped_lines(output), _stripped_lines(expected)
    if len(got) != len(want):
        return False
    for a, b in zip(got, want, strict=True):
        if a == b:
            continue
        da, db = _decimals(a), _decimals(b)
        if da is None or db is None or da != db:
            return False
    return True


def judge_result(result: Mapping[str, Any], expected: Any, call_based: bool) -> str:
    """Status of one test from the child's report: ``passed`` or the failure kind."""
    kind = result.get(wire.KIND)
    if kind == wire.OK:
        if call_based:
            verdict = values_match(result.get(wire.VALUE), expected)
            return "runtime_error" if verdict is None else ("passed" if verdict else "wrong_answer")
        output = result.get(wire.OUT)
        return "passed" if isinstance(output, str) and lines_match(output, expected) else "wrong_answer"
    return failure_status(result)


def failure_status(result: Mapping[str, Any]) -> str:
    """Status of a report that carries no output (an exception, a kill, a death)."""
    kind = result.get(wire.KIND)
    if kind == wire.TLE or (kind == wire.EXC and result.get(wire.TIMED_OUT)):
        return "time_limit"
    if kind == wire.OLE:
        return "output_limit"
    if kind == wire.EXC and result.get(wire.MEMORY):
        return "memory_limit"
    return "runtime_error"
