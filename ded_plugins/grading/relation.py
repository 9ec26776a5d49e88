"""Inequalities and chains: built with their direction and strictness, compared without losing either.

Rules (each one sentence):

* A chain written with ``>``/``>=`` only is the same chain read right to left (``x > 3`` is ``3 < x``).
* Two relations are equal when they have the same operators and equal sides, or, for one
  relation each, when ``lhs - rhs`` of one is a positive multiple of the other's (any
  non-zero multiple for ``!=``), or, in one variable, when their solution sets are equal.
* A relation in one variable equals an interval or a union of intervals when its solution
  set is that set (``x > 3`` is ``(3, \\infty)``; never ``x < 3``).
* A chain of one strict operator between plain names (``b < a < d < c``) is answered by the
  names listed in the written order (``b, a, d, c``): an ordering question's answer.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ded_plugins.grading.nodes import Expr, Node, Relation, Seq
from ded_plugins.grading.values import values_equal


__all__ = ["OPS", "make_relation", "ordering_matches", "relation_set", "relations_equal"]

#: relation operators as written after normalisation -> canonical spelling
OPS = {"<": "<", ">": ">", r"\leq": "<=", r"\geq": ">=", r"\neq": "!="}
_TURN = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "!=": "!="}


def make_relation(sides: list[Expr], ops: list[str]) -> Relation:
    """A :class:`Relation`; an all-``>``/``>=`` chain is turned round to ``<``/``<=``."""
    canon = [OPS[o] for o in ops]
    if all(o in (">", ">=") for o in canon):
        return Relation(tuple(reversed(sides)), tuple(_TURN[o] for o in reversed(canon)), True)
    return Relation(tuple(sides), tuple(canon))


def _solvable(expr: Any, symbol: Any) -> bool:
    """Only low-degree rational functions go to sympy's inequality solver (it takes minutes on x^50).

    Degree 4 at most (numerator and denominator), 2 when there is an absolute value.
    """
    import sympy

    has_abs = expr.has(sympy.Abs)
    plain = expr.replace(sympy.Abs, lambda a: a)
    try:
        if not plain.is_rational_function(symbol):
            return False
        num, den = sympy.fraction(sympy.together(plain))
        degree = max(sympy.degree(num, symbol), sympy.degree(den, symbol))
    except Exception:
        return False
    return bool(degree <= (2 if has_abs else 4))


def _linear_set(op: str, a: Any, b: Any, symbol: Any) -> Any:
    """``a op b`` with both sides linear in ``symbol``: the half-line, without sympy's solver."""
    import sympy

    diff = a - b  # diff op 0 with diff = k*x + m: its derivative is the constant k (no expansion)
    try:
        k = sympy.diff(diff, symbol)
        if symbol in k.free_symbols or not k.is_number or not k.is_real or k == 0:
            return None
        m = diff.xreplace({symbol: sympy.Integer(0)})
    except Exception:
        return None
    if not (m.is_number and m.is_finite):
        return None
    root = -m / k
    if op == "!=":
        return sympy.Union(sympy.Interval.open(-sympy.oo, root), sympy.Interval.open(root, sympy.oo))
    if k < 0:
        op = _TURN[op]
    strict = op in ("<", ">")
    if op in ("<", "<="):
        return sympy.Interval(-sympy.oo, root, True, strict)
    return sympy.Interval(root, sympy.oo, strict, True)


@lru_cache(maxsize=4096)
def relation_set(rel: Relation) -> Any:
    """The solution set over the reals, when there is exactly one variable and sympy can solve it."""
    import sympy

    values = [s.value for s in rel.sides]
    symbols = set().union(*(v.free_symbols for v in values))
    if len(symbols) != 1:
        return None
    (symbol,) = symbols
    if not all(_solvable(v, symbol) for v in values):
        return None
    pieces = [_linear_set(o, a, b, symbol) for o, a, b in zip(rel.ops, values, values[1:], strict=False)]
    if all(p is not None for p in pieces):
        return sympy.Intersection(*pieces)
    ops = {"<": sympy.Lt, ">": sympy.Gt, "<=": sympy.Le, ">=": sympy.Ge, "!=": sympy.Ne}
    try:
        cond = sympy.And(*(ops[o](a, b) for o, a, b in zip(rel.ops, values, values[1:], strict=False)))
        if cond is sympy.false:
            return sympy.EmptySet
        if cond is sympy.true:
            return sympy.Reals
        real = sympy.Symbol(str(symbol), real=True)
        return cond.xreplace({symbol: real}).as_set()
    except Exception:
        return None


def _same_sides(g: Relation, c: Relation) -> bool:
    return g.ops == c.ops and all(
        values_equal(x.value, y.value) for x, y in zip(g.sides, c.sides, strict=True)
    )


def _proportional(g: Relation, c: Relation) -> bool:
    """``x + y < 3`` and ``2x + 2y < 6``: ``lhs - rhs`` a positive multiple (for ``!=``: any)."""
    import sympy

    if len(g.ops) != 1 or g.ops != c.ops:
        return False
    dg = g.sides[0].value - g.sides[1].value
    dc = c.sides[0].value - c.sides[1].value
    ratio = sympy.simplify(dg / dc) if dc != 0 else None
    if ratio is None or ratio.free_symbols or not ratio.is_number or ratio == 0:
        return False
    return bool(g.ops[0] == "!=" or ratio.is_positive)


def relations_equal(g: Relation, c: Relation, sets_equal: Any) -> tuple[bool, str]:
    """``(equal, rule)`` for two relations (module docstring); ``sets_equal`` compares solution sets."""
    if _same_sides(g, c):
        return True, "relation: same operators, equal sides"
    try:
        if _proportional(g, c):
            return True, "relation: sides differ by a positive factor"
    except Exception:
        pass
    gs, cs = relation_set(g), relation_set(c)
    if gs is not None and cs is not None:
        if sets_equal(gs, cs):
            return True, "relation: same solution set"
        return False, "relation: different solution sets"
    return False, "relation: different operators or sides"


def ordering_matches(gold: Relation, cand: Node) -> bool:
    """The ordering rule: ``b < a < d < c`` answered by ``b, a, d, c`` (written order)."""
    import sympy

    if not isinstance(cand, Seq) or len(gold.sides) < 3 or len(set(gold.ops)) != 1 or gold.ops[0] not in "<>":
        return False
    names = [s.value for s in (reversed(gold.sides) if gold.turned else gold.sides)]
    listed = [i.value if isinstance(i, Expr) else None for i in cand.items]
    return (
        all(isinstance(n, sympy.Symbol) for n in names)
        and len(listed) == len(names)
        and all(a == b for a, b in zip(listed, names, strict=True))
    )
