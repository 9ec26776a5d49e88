"""Equivalence of two parsed answers (see :mod:`ded_plugins.grading.answer` for the structures).

Values compare exactly when both are exact (rationals: ``1/2004!`` is not ``1/2006!``);
irrational constants compare at 40 significant digits; expressions with variables are
compared at fixed sample points with 30 digits, which is an identity test, not a
tolerance. The only approximation rule: a number written as a decimal literal stands for
every value that rounds to it, but only at three or more significant digits and only
against rational values (``85.71`` matches ``600/7``; ``0.5`` never matches ``0.48``;
``3.14`` never matches ``\\pi``). No percent x100 leniency, no
relative tolerance, no "any element matches" on lists.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ded_plugins.grading.answer import Equation, Expr, Node, Seq, SetNode, Text, as_set


__all__ = ["answers_equal", "nodes_equal", "values_equal"]

_POINTS = ((0.5772156649, 1.3247179572, 0.7390851332), (1.6180339887, 0.3183098862, 2.7182818285))
_MIN_SIGNIFICANT = 3


def _subs_points(symbols: list[Any]) -> list[dict[Any, Any]]:
    import sympy

    points = []
    for k in range(3):
        point = {}
        for j, sym in enumerate(symbols):
            base = _POINTS[j % 2][k] + 0.41 * j
            point[sym] = sympy.Float(base, 30)
        points.append(point)
    return points


def _number(value: Any) -> Any:
    """A 40-digit float of a constant expression, or ``None`` if it is not a finite number."""
    try:
        v = value.evalf(40)
    except Exception:
        return None
    return v if v.is_number and v.is_finite else None


def _close(a: Any, b: Any, rel: float) -> bool:
    """Relative closeness in sympy's arbitrary-exponent floats (doubles underflow at 1e-308)."""
    try:
        diff, scale = abs(a - b), max(abs(a), abs(b))
        return bool(diff == 0) if scale == 0 else bool(diff <= rel * scale)
    except (TypeError, ValueError, ArithmeticError):
        return False


def _significant(value: Decimal) -> int:
    """Digits from the first non-zero one to the last written place: 300 -> 3, 0.458 -> 3."""
    return len(format(abs(value), "f").replace(".", "").lstrip("0"))


def _rounds_to(approx: Decimal, decimals: int, value: Any) -> bool:
    """Does ``value`` round (half up) to ``approx`` at ``decimals`` places?"""
    try:
        as_dec = Decimal(str(value.evalf(40)))
    except Exception:
        return False
    quantum = Decimal(1).scaleb(-decimals)
    return as_dec.quantize(quantum, rounding=ROUND_HALF_UP) == approx.quantize(quantum)


def _approx_equal(g: Expr, c: Expr) -> bool:
    """The decimal-literal rule (module docstring)."""
    candidates = []
    for x, y in ((g, c), (c, g)):
        if x.decimals is not None:
            places = x.decimals
            if y.decimals is not None:
                places = min(places, y.decimals)
            elif y.value.is_Integer or not y.value.is_Rational:
                # an exact integer is no approximation of a decimal, and an answer "in terms
                # of pi" (or of a root) is not answered by its decimal expansion
                continue
            candidates.append((x, y, places))
    for x, y, places in candidates:
        approx = Decimal(str(x.value.evalf(40))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if _significant(approx) >= _MIN_SIGNIFICANT and _rounds_to(approx, places, y.value):
            return True
    # an integer answer for a decimal gold ("300" for 299.94) at 3+ significant digits; never the
    # reverse: a decimal answer for an integer gold is a different number
    if g.decimals is not None and c.decimals is None and c.value.is_Integer:
        approx = Decimal(int(c.value))
        return _significant(approx) >= _MIN_SIGNIFICANT and _rounds_to(approx, 0, g.value)
    return False


def values_equal(a: Any, b: Any) -> bool:
    """Exact, then numeric identity test; ``a`` and ``b`` are sympy expressions."""
    try:
        if a == b:
            return True
        if a.is_Rational and b.is_Rational:
            return False
    except Exception:
        return False
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    if not symbols:
        va, vb = _number(a), _number(b)
        return va is not None and vb is not None and _close(va, vb, 1e-30)
    import sympy

    checked = 0
    for point in _subs_points(symbols):
        try:
            va, vb = a.evalf(30, subs=point), b.evalf(30, subs=point)
        except Exception:
            continue
        if not (va.is_number and vb.is_number) or not (va.is_finite and vb.is_finite):
            continue
        if not _close(va, vb, 1e-20):
            return False
        checked += 1
    if checked >= 2:
        return True
    try:  # undefined functions or no valid sample point: a symbolic check
        return bool(sympy.simplify(a - b) == 0)
    except Exception:
        return False


def _exprs_equal(g: Expr, c: Expr) -> bool:
    if values_equal(g.value, c.value):
        return True
    if (g.decimals is not None or c.decimals is not None) and not (
        g.value.free_symbols or c.value.free_symbols
    ):
        return _approx_equal(g, c)
    return False


def _equations_equal(g: Any, c: Any) -> bool:
    """``lhs - rhs`` of both are proportional (``2x = 4`` is ``x - 2 = 0``)."""
    if values_equal(g, c) or values_equal(g, -c):
        return True
    symbols = sorted(g.free_symbols | c.free_symbols, key=str)
    ratios = []
    for point in _subs_points(symbols):
        try:
            vg, vc = g.evalf(30, subs=point), c.evalf(30, subs=point)
            if not vc.is_number or abs(complex(vc)) < 1e-20:
                continue
            ratios.append(vg / vc)
        except Exception:
            continue
    return len(ratios) >= 2 and all(_close(r, ratios[0], 1e-15) and abs(complex(r)) > 1e-20 for r in ratios)


def _solved_equal(equation: Any, value: Any) -> bool:
    """The gold equation defines one variable the candidate does not use; compare with its solution."""
    import sympy

    missing = [v for v in equation.free_symbols - value.free_symbols if sympy.degree(equation, v) == 1]
    if len(missing) != 1:
        return False
    solutions = sympy.solve(equation, missing[0])
    return len(solutions) == 1 and values_equal(solutions[0], value)


def _multiset_equal(g: tuple[Node, ...], c: tuple[Node, ...]) -> bool:
    if len(g) != len(c):
        return False
    remaining = list(c)
    for item in g:
        for j, other in enumerate(remaining):
            if nodes_equal(item, other):
                del remaining[j]
                break
        else:
            return False
    return True


def _sets_equal(g: Any, c: Any) -> bool:
    import sympy

    if g == c:
        return True
    gp = g.args if isinstance(g, sympy.Union) else (g,)
    cp = c.args if isinstance(c, sympy.Union) else (c,)
    if len(gp) != len(cp):
        return False
    for x, y in zip(gp, cp, strict=True):
        if isinstance(x, sympy.Interval) and isinstance(y, sympy.Interval):
            if (x.left_open, x.right_open) != (y.left_open, y.right_open):
                return False
            if not (values_equal(x.start, y.start) and values_equal(x.end, y.end)):
                return False
        elif isinstance(x, sympy.FiniteSet) and isinstance(y, sympy.FiniteSet):
            if not _multiset_equal(tuple(Expr(v) for v in x.args), tuple(Expr(v) for v in y.args)):
                return False
        else:
            return False
    return True


def _text_equal(g: Text, c: Text) -> bool:
    if g.words == c.words:
        return True
    # a short answer named inside a sentence: "odd" for "any odd number of participants"
    gw, cw = g.words.split(), c.words.split()
    if len(gw) >= 3 and 1 <= len(cw) <= 2 and all(len(w) >= 3 for w in cw):
        return any(gw[i : i + len(cw)] == cw for i in range(len(gw) - len(cw) + 1))
    return False


def _unwrap(node: Node) -> Node:
    while isinstance(node, Seq) and node.kind in ("list", "set") and len(node.items) == 1:
        node = node.items[0]
    return node


def nodes_equal(gold: Node, cand: Node) -> bool:
    """Is ``cand`` an equivalent answer to ``gold``?"""
    g, c = _unwrap(gold), _unwrap(cand)
    if isinstance(c, Seq) and c.kind == "list" and not isinstance(g, Seq):
        # one answer written two ways ("15\\frac{39}{40}, or \\frac{639}{40}"): every part must match
        return all(nodes_equal(g, item) for item in c.items)
    if isinstance(g, Text) or isinstance(c, Text):
        return isinstance(g, Text) and isinstance(c, Text) and _text_equal(g, c)
    if isinstance(g, Expr) and isinstance(c, Expr):
        return _exprs_equal(g, c)
    if isinstance(g, Equation) and isinstance(c, Expr):  # "y + 1 = -(2x-1)^2" answered as "-4x^2+4x-2"
        return _solved_equal(g.expr, c.value)
    if isinstance(g, Equation) or isinstance(c, Equation):
        return isinstance(g, Equation) and isinstance(c, Equation) and _equations_equal(g.expr, c.expr)
    if isinstance(g, SetNode) or isinstance(c, SetNode):
        gs, cs = as_set(g), as_set(c)
        return gs is not None and cs is not None and _sets_equal(gs, cs)
    if isinstance(g, Seq) and isinstance(c, Seq):
        if "tuple" in (g.kind, c.kind):  # points, vectors: order matters
            return len(g.items) == len(c.items) and all(
                nodes_equal(x, y) for x, y in zip(g.items, c.items, strict=True)
            )
        return _multiset_equal(g.items, c.items)
    return False


def _symbols(node: Node) -> set[Any]:
    if isinstance(node, Expr | SetNode):
        return set(node.value.free_symbols)
    if isinstance(node, Equation):
        return set(node.expr.free_symbols)
    if isinstance(node, Seq):
        return set().union(*(_symbols(i) for i in node.items)) if node.items else set()
    return set()


def _rename(node: Node, mapping: dict[Any, Any]) -> Node:
    if isinstance(node, Expr):
        return Expr(node.value.xreplace(mapping), node.decimals)
    if isinstance(node, SetNode):
        return SetNode(node.value.xreplace(mapping))
    if isinstance(node, Equation):
        return Equation(node.expr.xreplace(mapping))
    if isinstance(node, Seq):
        return Seq(node.kind, tuple(_rename(i, mapping) for i in node.items), node.pair_parens)
    return node


def answers_equal(gold: Node, cand: Node) -> bool:
    """:func:`nodes_equal`, allowing one free variable to be renamed (``f(z)=z`` vs ``f(x)=x``)."""
    if nodes_equal(gold, cand):
        return True
    gs, cs = _symbols(gold), _symbols(cand)
    only_g, only_c = gs - cs, cs - gs
    if len(only_g) == 1 and len(only_c) == 1:
        g_sym, c_sym = only_g.pop(), only_c.pop()
        if _may_rename(str(c_sym), str(g_sym)):
            return nodes_equal(gold, _rename(cand, {c_sym: g_sym}))
    return False


#: letters that name a free variable or an integer parameter of an answer, not a given quantity
_DUMMY = frozenset("klmnpqrstuvwxyz") | {"ell"}


def _may_rename(cand_name: str, gold_name: str) -> bool:
    """``f(x)=x`` for ``f(z)=z``, ``n\\pi`` for ``k\\pi``, ``c`` for ``C``; never ``b`` for ``a``."""
    return cand_name.lower() == gold_name.lower() or (cand_name in _DUMMY and gold_name in _DUMMY)
