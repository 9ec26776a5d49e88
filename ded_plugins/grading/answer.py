"""Structure of an answer: expression, tuple, unordered list, set/interval, equation, or text.

The structure decides how two answers are compared (see :mod:`ded_plugins.grading.compare`):
tuples are ordered, lists of solutions and ``\\{...\\}`` sets unordered, intervals keep their
open/closed ends, and text answers compare as words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ded_plugins.grading.latex import LatexError, latex_to_sympy
from ded_plugins.grading.normalize import mixed_number, normalize_answer, normalize_text, strip_unit


__all__ = ["Equation", "Expr", "Node", "Seq", "SetNode", "Text", "parse_answer", "split_top"]


@dataclass(frozen=True)
class Expr:
    """A single value; ``decimals`` is set when it was written as a decimal literal (an approximation)."""

    value: Any
    decimals: int | None = None


@dataclass(frozen=True)
class Seq:
    """``tuple`` (ordered: points, vectors, matrices) or ``list``/``set`` (unordered solutions)."""

    kind: str
    items: tuple[Node, ...]
    #: written as ``(a, b)``: may also be read as an open interval
    pair_parens: bool = False


@dataclass(frozen=True)
class SetNode:
    """A subset of the reals: intervals, unions, solution sets of inequalities."""

    value: Any


@dataclass(frozen=True)
class Equation:
    """A relation that is not a plain ``label = value`` assignment; ``expr`` is ``lhs - rhs``."""

    expr: Any


@dataclass(frozen=True)
class Text:
    """An answer in words (a name, a parity, a choice letter), compared as normalised words."""

    words: str


Node = Expr | Seq | SetNode | Equation | Text

_OPEN, _CLOSE = "([{", ")]}"
_SEPARATOR = re.compile(r"\s*(?:,|;|\band\b|\bor\b)\s*")
_RELATION = re.compile(r"\\leq|\\geq|\\neq|<|>|=")
_LABEL = re.compile(
    r"^\s*(?:[A-Za-z](?:_\{?\w+\}?)?(?:\([A-Za-z ,]*\))?|\\[A-Za-z]+|\([A-Za-z_\\, (){}]*\)"
    r"|[A-Za-z]{2,}(?: [A-Za-z]+)*(?: \d+)?)\s*$"
)
_QUALIFIER = re.compile(r"\s+(?:for\s+(?:all|any|every|some|each)|where|when|with)\b.*$", re.I)
_SET_BUILDER = re.compile(r"^\\\{\s*[A-Za-z]\s*(?:\||\\mid|:)\s*(.+)\\\}$")
_WORD_LABEL = re.compile(r"^\s*[A-Za-z][A-Za-z ]*(?:\s\d+)?\s*:\s+")
_WORDS = re.compile(r"[A-Za-z][A-Za-z' ]*\.?")
_MATH_WORDS = {"pi", "sin", "cos", "tan", "ln", "log", "exp", "sqrt"}
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


def _wrapped(text: str, open_: str, close: str) -> str | None:
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


def _expr(text: str) -> Node:
    import sympy

    text = text.strip()
    if text.endswith(".") and not text[-2:-1].isdigit():
        text = text[:-1].rstrip()  # a sentence's full stop: "\\sqrt{2}."
    if _WORDS.fullmatch(text) and any(len(w) > 1 and w not in _MATH_WORDS for w in text.split()):
        return Text(normalize_text(text))  # "odd", "Evelyn", "east": words, not products of letters
    if re.fullmatch(r"\d{1,2}:\d{2}", text):
        return Text(normalize_text(text))  # a clock time "4:30", not the ratio 4/30
    ratio = text.split(":")
    if len(ratio) == 2 and all(r.strip() for r in ratio) and not re.search(r"[A-Za-z]", text):
        text = rf"\frac{{{ratio[0]}}}{{{ratio[1]}}}"  # a ratio "5:8", "1 : (4/3)"
    try:
        value = latex_to_sympy(text)
    except LatexError:
        return Text(normalize_text(text))
    if not isinstance(value, sympy.Expr) or value.has(sympy.zoo, sympy.nan):  # tuples, booleans, 1/0
        return Text(normalize_text(text))
    dec = re.fullmatch(r"-?\d+\.(\d+)", text)
    return Expr(value, len(dec.group(1)) if dec else None)


def _interval(text: str) -> Node | None:
    """``[a, b)``, ``(-\\infty, 3]``; ``(a, b)`` only when an end is infinite."""
    if len(text) < 5 or text[0] not in "([" or text[-1] not in ")]":
        return None
    parts = split_top(text[1:-1], re.compile(r"\s*,\s*"))
    if len(parts) != 2 or (text[0] == "(" and text[-1] == ")" and "infty" not in text):
        return None
    import sympy

    ends = [_expr(p) for p in parts]
    if not all(isinstance(e, Expr) for e in ends):
        return None
    lo, hi = (e.value for e in ends if isinstance(e, Expr))
    try:
        return SetNode(sympy.Interval(lo, hi, text[0] == "(", text[-1] == ")"))
    except Exception:
        return None


def _relation_set(text: str) -> Node | None:
    """``0 < x \\leq 1``, ``a \\geq 2``: the solution set when there is one variable."""
    import sympy

    pieces = re.split(r"(\\leq|\\geq|<|>)", text)
    if len(pieces) < 3:
        return None
    exprs = [_expr(p) for p in pieces[::2]]
    if not all(isinstance(e, Expr) for e in exprs):
        return None
    values = [e.value for e in exprs if isinstance(e, Expr)]
    ops = {"<": sympy.Lt, ">": sympy.Gt, r"\leq": sympy.Le, r"\geq": sympy.Ge}
    try:
        cond = sympy.And(*(ops[o](a, b) for o, a, b in zip(pieces[1::2], values, values[1:], strict=False)))
        symbols = cond.free_symbols
        if len(symbols) != 1:
            return None
        return SetNode(cond.as_set())
    except Exception:
        return None


def _single(text: str) -> Node:
    text = mixed_number(strip_unit(_WORD_LABEL.sub("", text).strip()))
    cut = _QUALIFIER.sub("", text).strip()
    if cut and cut != text:  # "(n, 1) for all positive integers n": the qualifier is no part of it
        node = _single(cut)
        if not isinstance(node, Text):
            return node
    builder = _SET_BUILDER.match(text) if _wrapped(text, r"\{", r"\}") is not None else None
    if builder:  # \{x | -1 < x < 1\}
        found = _relation_set(builder.group(1))
        if found is not None:
            return found
    text = re.sub(r"^[A-Za-z](?:_\{?\w+\}?)?\s*\\in\s*", "", text)
    matrix = _MATRIX.search(text)
    if matrix and text.startswith(r"\begin") and text.endswith("}"):
        rows = [r for r in re.split(r"\\\\", matrix.group(1)) if r.strip()]
        cells = [[_single(c) for c in r.split("&")] for r in rows]
        if all(len(r) == 1 for r in cells):  # a column vector reads as a tuple
            return Seq("tuple", tuple(r[0] for r in cells))
        return Seq("tuple", tuple(Seq("tuple", tuple(r)) for r in cells))
    inner = _wrapped(text, r"\{", r"\}")
    if inner is not None and "|" not in inner:
        return Seq("set", tuple(_single(p) for p in _expand_pm(split_top(inner))))
    difference = split_top(text, re.compile(r"\s*(?:\\setminus|\\backslash|-(?=\s*\\\{))\s*"))
    if len(difference) == 2:  # \{x | x < 3/2\} \setminus \{-6\}
        import sympy

        left, right = (as_set(_single(p)) for p in difference)
        if left is not None and right is not None:
            return SetNode(sympy.Complement(left, right))
    if r"\cup" in text:
        import sympy

        pieces = [_single(p) for p in split_top(text, re.compile(r"\s*\\cup\s*"))]
        sets = [as_set(p) for p in pieces]
        if all(s is not None for s in sets):
            return SetNode(sympy.Union(*sets))
        return Text(normalize_text(text))
    interval = _interval(text)
    if interval is not None:
        return interval
    inner = _wrapped(text, "(", ")")
    if inner is not None:
        parts = split_top(inner, re.compile(r"\s*,\s*"))
        if len(parts) >= 2:
            return Seq("tuple", tuple(_single(p) for p in parts), pair_parens=len(parts) == 2)
    if _RELATION.search(text):
        return _relation(text)
    return _expr(text)


def _relation(text: str) -> Node:
    sides = split_top(text, re.compile(r"\s*=\s*"))
    if len(sides) >= 2 and "<" not in text and ">" not in text and r"\leq" not in text:
        if _LABEL.match(sides[0]) or len(sides) > 2:  # "x = 3", "f(x) = 2x", "(k, l) = (..)"
            return _single(sides[-1])
        lhs, rhs = _expr(sides[0]), _expr(sides[1])
        if isinstance(lhs, Expr) and isinstance(rhs, Expr):
            return Equation(lhs.value - rhs.value)
        return Text(normalize_text(text))
    found = _relation_set(text)
    return found if found is not None else Text(normalize_text(text))


def as_set(node: Node) -> Any:
    """The node as a sympy set of reals, or ``None``."""
    import sympy

    if isinstance(node, SetNode):
        return node.value
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


def parse_answer(text: str) -> Node:
    """Parse an answer (LaTeX or plain) into its structure."""
    s = normalize_answer(text)
    parts = _expand_pm(split_top(s))
    if len(parts) > 1:
        items = [_single(p) for p in parts]
        sets = [i for i in items if isinstance(i, SetNode)]
        if sets and len(sets) + sum(isinstance(i, Expr) for i in items) == len(items):
            import sympy  # "a \leq -2 or a = 1": a union of solution sets

            return SetNode(sympy.Union(*(as_set(i) for i in items)))
        return Seq("list", tuple(items))
    return _single(s) if s else Text("")
