"""The parsed forms of an answer: one frozen record per kind, each printable for explanations.

:mod:`ded_plugins.grading.answer` builds them, :mod:`ded_plugins.grading.compare` decides
equivalence from them. ``str(node)`` is the form ``ded grade --explain`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


__all__ = ["Equation", "Expr", "Labeled", "Node", "Numeral", "Raw", "Relation", "Seq", "SetNode", "Text"]


def _s(value: Any) -> str:
    from sympy import sstr

    return str(sstr(value))


@dataclass(frozen=True)
class Expr:
    """A single value; ``decimals`` is set when it was written as a decimal literal (an approximation)."""

    value: Any
    decimals: int | None = None
    #: the unit written after the number (``cm^2``, ``miles``), compared only when both sides have one
    unit: str | None = None

    def __str__(self) -> str:
        extra = f" (decimal, {self.decimals} places)" if self.decimals is not None else ""
        return f"value {_s(self.value)}{extra}" + (f" [unit {self.unit}]" if self.unit else "")


@dataclass(frozen=True)
class Seq:
    """``tuple`` (ordered: points, vectors, matrices) or ``list``/``set`` (unordered solutions)."""

    kind: str
    items: tuple[Node, ...]
    #: written as ``(a, b)``: may also be read as an open interval
    pair_parens: bool = False

    def __str__(self) -> str:
        return f"{self.kind}({'; '.join(str(i) for i in self.items)})"


@dataclass(frozen=True)
class SetNode:
    """A subset of the reals: intervals, unions, solution sets of inequalities."""

    value: Any
    #: endpoints written as decimals: ``(value, places)``, for the rounding rule
    approx: tuple[tuple[Any, int], ...] = ()

    def __str__(self) -> str:
        return f"set {_s(self.value)}"


@dataclass(frozen=True)
class Equation:
    """``lhs = rhs`` that is not a plain ``name = value``; ``expr`` is ``lhs - rhs``."""

    expr: Any
    lhs: Any
    rhs: Any

    def __str__(self) -> str:
        return f"equation {_s(self.lhs)} = {_s(self.rhs)}"


@dataclass(frozen=True)
class Relation:
    """An inequality or a chain (``1 \\leq x < 3``, ``x \\neq 3``), with direction and strictness.

    ``ops`` are ``<``, ``<=``, ``>``, ``>=``, ``!=``; a chain written with ``>``/``>=`` only is
    stored turned round (``x > 3`` as ``3 < x``), with ``turned`` set.
    """

    sides: tuple[Expr, ...]
    ops: tuple[str, ...]
    turned: bool = False

    def __str__(self) -> str:
        parts = [_s(self.sides[0].value)]
        for op, side in zip(self.ops, self.sides[1:], strict=True):
            parts += [op, _s(side.value)]
        return "relation " + " ".join(parts)


@dataclass(frozen=True)
class Labeled:
    """``name = value`` (``x = 5``, ``f(x) = x^2``, ``(k, l) = (1, 2)``): the value, named.

    ``function`` is set for ``f(x)``-style names, whose name is ``f``.
    """

    name: str
    value: Node
    function: bool = False

    def __str__(self) -> str:
        return f"{self.name}{'(...)' if self.function else ''} := {self.value}"


@dataclass(frozen=True)
class Numeral:
    """A numeral written in another base (``52_8``): its digits and its base."""

    digits: str
    base: int
    negative: bool = False

    def __str__(self) -> str:
        return f"numeral {'-' if self.negative else ''}{self.digits} in base {self.base}"


@dataclass(frozen=True)
class Text:
    """An answer in words (a name, a parity, a choice letter), compared as normalised words."""

    words: str
    #: for a clock-like ``h:mm``, the ratio h/mm (compared when the other side is a number)
    ratio: Any = None

    def __str__(self) -> str:
        return f"text {self.words!r}" + (
            f" (or the ratio {_s(self.ratio)})" if self.ratio is not None else ""
        )


@dataclass(frozen=True)
class Raw:
    """Math the parser does not understand, kept whole: every operator, sign, digit and letter."""

    form: str

    def __str__(self) -> str:
        return f"unparsed {self.form!r}"


Node = Expr | Seq | SetNode | Equation | Relation | Labeled | Numeral | Text | Raw
