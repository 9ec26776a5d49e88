"""Structure of an answer: value, tuple, unordered list, set/interval, relation, equation, text.

The structure decides how two answers are compared (see :mod:`ded_plugins.grading.compare`):
tuples are ordered, lists of solutions and ``\\{...\\}`` sets unordered, intervals keep their
open/closed ends, relations their direction and strictness, and text answers compare as words.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ded_plugins.grading.latex import GEOMETRY_COMMANDS
from ded_plugins.grading.leaf import leaf, numeral, raw_form
from ded_plugins.grading.nodes import Equation, Expr, Labeled, Node, Raw, Relation, Seq, SetNode, Text
from ded_plugins.grading.normalize import clean_answer, improper_mixed, mixed_number
from ded_plugins.grading.relation import make_relation, relation_set
from ded_plugins.grading.units import split_unit


__all__ = ["as_set", "parse_answer", "split_top", "wrapped"]

_OPEN, _CLOSE = "([{", ")]}"
_SEPARATOR = re.compile(r"\s*(?:,|;|\band\b|\bor\b)\s*")
_RELATION = re.compile(r"\\leq|\\geq|\\neq|<|>|=")
#: a left side that only names the answer: f(x), x, a_n, \alpha, \angle ABC, (k, l), "Area", "AB"
#: (the geometry commands are the converter's, which reads \angle ABC as one quantity)
_LABEL = re.compile(
    r"^\s*(?:(?P<fn>[A-Za-z])\s*\([A-Za-z ,]*\)|(?P<sym>[A-Za-z](?:_\{?\w+\}?)?|\\[A-Za-z]+)"
    r"|(?:m\s*)?\\(?:" + "|".join(sorted(GEOMETRY_COMMANDS)) + r")\s*\{?[A-Za-z]+\}?"
    r"|\([A-Za-z_\\, (){}]*\)|[A-Za-z]{2,}(?: [A-Za-z]+)*(?: \d+)?)\s*$"
)
_QUALIFIER = re.compile(r"\s+(?:for\s+(?:all|any|every|some|each)|where|when|with)\b.*$", re.I)
_SET_BUILDER = re.compile(r"^\\\{\s*[A-Za-z]\s*(?:\||:)\s*(.+)\\\}$")
_WORD_LABEL = re.compile(r"^\s*[A-Za-z][A-Za-z ]*(?:\s\d+)?\s*:\s+")
_MATRIX = re.compile(r"\\begin\{[pbvBV]?matrix\}(.*?)\\end\{[pbvBV]?matrix\}", re.S)


def split_top(text: str, sep: re.Pattern[str] = _SEPARATOR) -> list[str]:
    """Split at separators that are outside every bracket (``\\{``/``\\}`` count as brackets)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        c = text[i]
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        elif depth == 0:
            m = sep.match(text, i)
            if m and m.group(0).strip():
                parts.append(text[start:i])
                start = i = m.end()
                continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def wrapped(text: str, open_: str, close: str) -> str | None:
    """The inside of ``text`` if one bracket pair wraps all of it."""
    if not (text.startswith(open_) and text.endswith(close)):
        return None
    depth = 0
    for i in range(len(open_) - 1, len(text)):  # from the opener's bracket character
        depth += (text[i] in _OPEN) - (text[i] in _CLOSE)
        if depth == 0 and i < len(text) - 1:
            return None
    return text[len(open_) : len(text) - len(close)]


def _expand_pm(parts: list[str]) -> list[str]:
    r"""``1 \pm \sqrt{5}`` stands for two answers."""
    out: list[str] = []
    for p in parts:
        if p.startswith(r"\pm"):
            p = "0" + p
        if p.count(r"\pm") == 1 and len(split_top(p, re.compile(r"\\pm"))) == 2:
            out += [p.replace(r"\pm", "+"), p.replace(r"\pm", "-")]
        else:
            out.append(p.replace(r"\mp", "-"))
    return out


def _interval(text: str) -> Node | None:
    """``[a, b)``, ``(-\\infty, 3]``; ``(a, b)`` only when an end is infinite."""
    if len(text) < 5 or text[0] not in "([" or text[-1] not in ")]":
        return None
    parts = split_top(text[1:-1], re.compile(r"\s*,\s*"))
    if len(parts) != 2 or (text[0] == "(" and text[-1] == ")" and "infty" not in text):
        return None
    import sympy

    ends = [leaf(p) for p in parts]
    if not all(isinstance(e, Expr) for e in ends):
        return None
    lo, hi = (e for e in ends if isinstance(e, Expr))
    try:
        value = sympy.Interval(lo.value, hi.value, text[0] == "(", text[-1] == ")")
    except Exception:
        return None
    approx = tuple((e.value, e.decimals) for e in (lo, hi) if e.decimals is not None)
    return SetNode(value, approx)


def _matrix(text: str) -> Node | None:
    """``\\begin{pmatrix}`` (``array`` and ``bmatrix`` too, also inside brackets) as nested tuples."""
    inner = wrapped(text, "(", ")") or wrapped(text, "[", "]")
    if inner is not None and inner.strip().startswith(r"\begin"):
        text = inner.strip()
    matrix = _MATRIX.search(text)
    if not (matrix and text.startswith(r"\begin") and text.endswith("}")):
        return None
    rows = [r for r in re.split(r"\\\\", matrix.group(1)) if r.strip()]
    cells = [[_single(c) for c in r.split("&")] for r in rows]
    if all(len(r) == 1 for r in cells):  # a column vector reads as a tuple
        return Seq("tuple", tuple(r[0] for r in cells))
    return Seq("tuple", tuple(Seq("tuple", tuple(r)) for r in cells))


def _single(text: str) -> Node:
    text = _WORD_LABEL.sub("", text).strip()
    if improper_mixed(text):  # 1\frac{9}{5}: 1 + 9/5 or 1 * 9/5? Not graded as either
        return Raw(raw_form(text))
    text = mixed_number(text)
    cut = _QUALIFIER.sub("", text).strip()
    if cut and cut != text:  # "(n, 1) for all positive integers n": the qualifier is no part of it
        node = _single(cut)
        if not isinstance(node, Text | Raw):
            return node
    number, unit = split_unit(text)
    if unit is not None:  # "15 cm^2": the number, with its unit kept for the comparison
        node = leaf(mixed_number(number), unit=unit)
        if isinstance(node, Expr):
            return node
    builder = _SET_BUILDER.match(text) if wrapped(text, r"\{", r"\}") is not None else None
    if builder:  # \{x | -1 < x < 1\}
        found = _relation(builder.group(1))
        as_a_set = as_set(found)
        if as_a_set is not None:
            return SetNode(as_a_set)
    text = re.sub(r"^[A-Za-z](?:_\{?\w+\}?)?\s*\\in\s*", "", text)
    matrix = _matrix(text)
    if matrix is not None:
        return matrix
    inner = wrapped(text, r"\{", r"\}")
    if inner is not None and "|" not in inner:
        return Seq("set", tuple(_single(p) for p in _expand_pm(split_top(inner))))
    difference = split_top(text, re.compile(r"\s*(?:\\setminus|\\backslash|-(?=\s*\\\{))\s*"))
    if len(difference) == 2:  # \{x | x < 3/2\} \setminus \{-6\}
        import sympy

        left, right = (as_set(_single(p)) for p in difference)
        if left is not None and right is not None:
            return SetNode(sympy.Complement(left, right))
    if r"\cup" in text:
        return _union(text)
    interval = _interval(text)
    if interval is not None:
        return interval
    inner = wrapped(text, "(", ")")
    if inner is not None:
        parts = split_top(inner, re.compile(r"\s*,\s*"))
        if len(parts) >= 2:
            return Seq("tuple", tuple(_single(p) for p in parts), pair_parens=len(parts) == 2)
    base = numeral(text)
    if base is not None:
        return base
    return _relation(text) if _RELATION.search(text) else leaf(text)


def _union(text: str) -> Node:
    import sympy

    pieces = [_single(p) for p in split_top(text, re.compile(r"\s*\\cup\s*"))]
    sets = [as_set(p) for p in pieces]
    if all(s is not None for s in sets):
        approx = tuple(a for p in pieces if isinstance(p, SetNode) for a in p.approx)
        return SetNode(sympy.Union(*sets), approx)
    return Raw(raw_form(text))


def _label(lhs: str) -> tuple[str, bool] | None:
    """``(name, is_function)`` when the left side only names the answer (``x``, ``f(x)``, ``AB``)."""
    m = _LABEL.match(lhs)
    if not m:
        return None
    if m.group("fn"):
        return m.group("fn"), True
    name = re.sub(r"[{}\s\\]", "", m.group("sym") or lhs)
    return name, False


def _split_relation(text: str) -> tuple[list[str], list[str]]:
    """Sides and operators of a relation, split outside brackets (``\\sum_{k=1}`` is no equation)."""
    sides, ops, depth, start, i = [], [], 0, 0, 0
    while i < len(text):
        c = text[i]
        depth += (c in _OPEN) - (c in _CLOSE)
        m = _RELATION.match(text, i) if depth == 0 else None
        if m:
            sides.append(text[start:i].strip())
            ops.append(m.group(0))
            start = i = m.end()
            continue
        i += 1
    sides.append(text[start:].strip())
    return sides, ops


def _relation(text: str) -> Node:
    sides, ops = _split_relation(text)
    if not ops:
        return leaf(text)
    if not all(sides):
        return Raw(raw_form(text))
    if all(o == "=" for o in ops):
        label = _label(sides[0])
        if label is not None or len(sides) > 2:  # "x = 3", "f(x) = 2x", "(k, l) = (..)", "a = b = 5"
            name, function = label if label is not None else ("", False)
            value = _single(sides[-1])
            return Labeled(name, value, function) if name else value
        lhs, rhs = leaf(sides[0], letter_ratio=True), leaf(sides[1], letter_ratio=True)
        if isinstance(lhs, Expr) and isinstance(rhs, Expr):
            return Equation(lhs.value - rhs.value, lhs.value, rhs.value)
        return Raw(raw_form(text))
    if "=" in ops:
        return Raw(raw_form(text))
    values = [leaf(s) for s in sides]
    if not all(isinstance(v, Expr) for v in values):
        return Raw(raw_form(text))
    return make_relation([v for v in values if isinstance(v, Expr)], ops)


def as_set(node: Node) -> Any:
    """The node as a sympy set of reals, or ``None``."""
    import sympy

    if isinstance(node, SetNode):
        return node.value
    if isinstance(node, Relation):
        return relation_set(node)
    if isinstance(node, Labeled):
        return as_set(node.value)
    if isinstance(node, Seq) and node.pair_parens and all(isinstance(i, Expr) for i in node.items):
        lo, hi = (i.value for i in node.items if isinstance(i, Expr))
        try:
            return sympy.Interval.open(lo, hi)
        except Exception:
            return None
    if isinstance(node, Expr):
        return sympy.FiniteSet(node.value)
    if (
        isinstance(node, Seq)
        and node.kind in ("set", "list")
        and all(isinstance(i, Expr) for i in node.items)
    ):
        return sympy.FiniteSet(*(i.value for i in node.items if isinstance(i, Expr)))
    return None


def _union_of_solutions(items: list[Node]) -> Node | None:
    """``a \\leq -2 or a = 1``: relations in one and the same variable (and values) form a union."""
    import sympy

    relations = [i for i in items if isinstance(i, SetNode | Relation)]
    if not relations or not all(isinstance(i, SetNode | Relation | Expr | Labeled) for i in items):
        return None
    names = {
        str(s) for i in items if isinstance(i, Relation) for side in i.sides for s in side.value.free_symbols
    }
    names |= {i.name for i in items if isinstance(i, Labeled)}
    if len(names) > 1:  # "x > 3, y < 2" is two conditions, not one set
        return None
    sets = [as_set(i) for i in items]
    return SetNode(sympy.Union(*sets)) if all(x is not None for x in sets) else None


@lru_cache(maxsize=8192)
def parse_answer(text: str) -> Node:
    """Parse an answer (LaTeX or plain) into its structure (cached: a gold is parsed once)."""
    s = clean_answer(text)
    if wrapped(s, "{", "}") is not None and len(split_top(s[1:-1])) > 1:
        s = r"\{" + s[1:-1] + r"\}"  # {2, 3, 5} with plain braces is a set
    parts = _expand_pm(split_top(s))
    if len(parts) > 1:
        items = [_single(p) for p in parts]
        union = _union_of_solutions(items)
        return union if union is not None else Seq("list", tuple(items))
    return _single(s) if s else Text("")
