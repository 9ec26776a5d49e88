"""Equivalence of two parsed answers (see :mod:`ded_plugins.grading.nodes` for the structures).

Values compare exactly when both are exact (rationals: ``1/2004!`` is not ``1/2006!``);
irrational constants compare at 40 significant digits; expressions with variables are
compared at fixed sample points with 30 digits, which is an identity test, not a
tolerance. The only approximation rule: a number written as a decimal literal stands for
every value that rounds to it, but only at three or more significant digits and only
against rational values (``85.71`` matches ``600/7``; ``0.5`` never matches ``0.48``;
``3.14`` never matches ``\\pi``); interval ends written as decimals follow the same rule.
No percent x100 leniency, no relative tolerance, no "any element matches" on lists.
Every comparison returns a :class:`Match` that names the rule that decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ded_plugins.grading.answer import as_set
from ded_plugins.grading.labels import label_names, rename, resolve_labels, symbols
from ded_plugins.grading.nodes import (
    Equation,
    Expr,
    Labeled,
    Node,
    Numeral,
    Raw,
    Relation,
    Seq,
    SetNode,
    Text,
)
from ded_plugins.grading.relation import ordering_matches, relations_equal
from ded_plugins.grading.units import same_unit


__all__ = ["Match", "answers_equal", "nodes_equal", "values_equal"]

_POINTS = ((0.5772156649, 1.3247179572, 0.7390851332), (1.6180339887, 0.3183098862, 2.7182818285))
_MIN_SIGNIFICANT = 3
_NEGATIONS = frozenset({"not", "no", "never", "non", "neither", "nor", "isn't", "cannot"})


@dataclass(frozen=True, slots=True)
class Match:
    """A verdict on two parsed answers and the rule that decided it; truthy when equal."""

    equal: bool
    rule: str

    def __bool__(self) -> bool:
        return self.equal


def _subs_points(symbols: list[Any]) -> list[dict[Any, Any]]:
    """Three positive sample points and one with negative values (|x| is not x, sqrt(x^2) is not x)."""
    import sympy

    points = []
    for k in range(4):
        point = {}
        for j, sym in enumerate(symbols):
            base = _POINTS[j % 2][k % 3] + 0.41 * j
            point[sym] = sympy.Float(-base if k == 3 and j % 2 == 0 else base, 30)
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
    syms = sorted(a.free_symbols | b.free_symbols, key=str)
    if not syms:
        va, vb = _number(a), _number(b)
        return va is not None and vb is not None and _close(va, vb, 1e-30)
    import sympy

    checked = 0
    for point in _subs_points(syms):
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


def _exprs_equal(g: Expr, c: Expr) -> Match:
    if g.unit and c.unit and not same_unit(g.unit, c.unit):
        return Match(False, f"different units ({g.unit} vs {c.unit})")
    if values_equal(g.value, c.value):
        return Match(True, "equal values")
    written_decimal = g.decimals is not None or c.decimals is not None
    if written_decimal and not (g.value.free_symbols or c.value.free_symbols) and _approx_equal(g, c):
        return Match(True, "decimal rounding")
    return Match(False, "different values")


def _equations_equal(g: Any, c: Any) -> bool:
    """``lhs - rhs`` of both are proportional (``2x = 4`` is ``x - 2 = 0``)."""
    if values_equal(g, c) or values_equal(g, -c):
        return True
    syms = sorted(g.free_symbols | c.free_symbols, key=str)
    if not syms:
        return False
    ratios = []
    for point in _subs_points(syms):
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

    try:
        missing = [v for v in equation.free_symbols - value.free_symbols if sympy.degree(equation, v) == 1]
        if len(missing) != 1:
            return False
        solutions = sympy.solve(equation, missing[0])
    except Exception:  # not a polynomial in that variable
        return False
    return len(solutions) == 1 and values_equal(solutions[0], value)


def _quantity(equation: Equation) -> Any:
    """``|AB| = 1``, ``S_1 : S = 7 : 32``, ``f(2) = 5``: a measured quantity's value (else ``None``).

    The rule: ``L = c`` with a constant ``c`` states the value of ``L`` when ``L`` is no
    polynomial (a length, a ratio, a function value) and is not an equation in one
    unknown (``\\sqrt{x} = 3`` is solved for ``x``, not answered by 3).
    """
    import sympy
    from sympy.core.function import AppliedUndef

    lhs, rhs = equation.lhs, equation.rhs
    if lhs is None or rhs.free_symbols or len(lhs.free_symbols) == 1:
        return None
    if not (lhs.free_symbols or lhs.has(AppliedUndef)):
        return None
    try:
        polynomial = lhs.is_polynomial(*lhs.free_symbols) and not lhs.has(AppliedUndef, sympy.Abs)
    except Exception:
        polynomial = False
    return None if polynomial else rhs


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


def _ends_equal(x: Any, y: Any, approx: dict[Any, int]) -> bool:
    if values_equal(x, y):
        return True
    ex, ey = Expr(x, approx.get(x)), Expr(y, approx.get(y))
    return (ex.decimals is not None or ey.decimals is not None) and _approx_equal(ex, ey)


def _sets_equal(g: Any, c: Any, approx: dict[Any, int]) -> bool:
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
            if not (_ends_equal(x.start, y.start, approx) and _ends_equal(x.end, y.end, approx)):
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
    # (never when the sentence negates it: "not odd")
    gw, cw = g.words.split(), c.words.split()
    if len(gw) >= 3 and 1 <= len(cw) <= 2 and all(len(w) >= 3 for w in cw):
        return any(
            gw[i : i + len(cw)] == cw and not (i and gw[i - 1] in _NEGATIONS)
            for i in range(len(gw) - len(cw) + 1)
        )
    return False


def _numeral_equal(g: Node, c: Node) -> Match:
    """A base-b numeral is its digits: the other side gives the same digits (its base, if written)."""

    def digits(n: Node) -> tuple[str, bool, int | None] | None:
        if isinstance(n, Numeral):
            return n.digits, n.negative, n.base
        if isinstance(n, Expr) and n.decimals is None and n.value.is_Integer:
            return str(abs(int(n.value))), bool(n.value < 0), None
        return None

    dg, dc = digits(g), digits(c)
    if dg is None or dc is None:
        return Match(False, "a numeral against a different kind of answer")
    same = dg[:2] == dc[:2] and (dg[2] is None or dc[2] is None or dg[2] == dc[2])
    return Match(same, "numeral digits and base " + ("match" if same else "differ"))


def _unwrap(node: Node) -> Node:
    while isinstance(node, Seq) and node.kind in ("list", "set") and len(node.items) == 1:
        node = node.items[0]
    return node


def _kind(node: Node) -> str:
    return type(node).__name__.lower()


def nodes_equal(gold: Node, cand: Node) -> Match:
    """Is ``cand`` an equivalent answer to ``gold``?"""
    g, c = _unwrap(gold), _unwrap(cand)
    if isinstance(g, Text) != isinstance(c, Text):  # "7:32" is a clock time only against a clock time
        g = Expr(g.ratio) if isinstance(g, Text) and g.ratio is not None else g
        c = Expr(c.ratio) if isinstance(c, Text) and c.ratio is not None else c
    if isinstance(g, Labeled) or isinstance(c, Labeled):
        resolved = resolve_labels(g, c)
        return Match(False, resolved) if isinstance(resolved, str) else nodes_equal(*resolved)
    if isinstance(c, Seq) and c.kind == "list" and not isinstance(g, Seq):
        if isinstance(g, Relation) and ordering_matches(g, c):
            return Match(True, "ordering chain listed in written order")
        # one answer written two ways ("15\\frac{39}{40}, or \\frac{639}{40}"): every part must match
        every = all(nodes_equal(g, item) for item in c.items)
        return Match(every, "every part of the list " + ("matches" if every else "must match; one does not"))
    if isinstance(g, Raw) or isinstance(c, Raw):
        same = isinstance(g, Raw) and isinstance(c, Raw) and g.form == c.form
        return Match(same, "unparsed forms " + ("identical" if same else "differ (or one side parsed)"))
    if isinstance(g, Text) or isinstance(c, Text):
        same = isinstance(g, Text) and isinstance(c, Text) and _text_equal(g, c)
        return Match(same, "words " + ("match" if same else "differ"))
    if isinstance(g, Numeral) or isinstance(c, Numeral):
        return _numeral_equal(g, c)
    if isinstance(g, Expr) and isinstance(c, Expr):
        return _exprs_equal(g, c)
    if isinstance(g, Equation) or isinstance(c, Equation):
        return _equation_match(g, c)
    if isinstance(g, Relation) and isinstance(c, Relation):
        equal, rule = relations_equal(g, c, values_equal, lambda a, b: _sets_equal(a, b, {}))
        return Match(equal, rule)
    if isinstance(g, SetNode | Relation) or isinstance(c, SetNode | Relation):
        gs, cs = as_set(g), as_set(c)
        approx = dict(
            (g.approx if isinstance(g, SetNode) else ()) + (c.approx if isinstance(c, SetNode) else ())
        )
        same = gs is not None and cs is not None and _sets_equal(gs, cs, approx)
        return Match(same, "sets of reals " + ("equal" if same else "differ"))
    if isinstance(g, Seq) and isinstance(c, Seq):
        if "tuple" in (g.kind, c.kind):  # points, vectors: order matters
            same = len(g.items) == len(c.items) and all(
                nodes_equal(x, y) for x, y in zip(g.items, c.items, strict=True)
            )
            return Match(same, "tuples (ordered) " + ("equal" if same else "differ"))
        same = _multiset_equal(g.items, c.items)
        return Match(same, "unordered elements " + ("match" if same else "differ"))
    return Match(False, f"different kinds of answer ({_kind(g)} vs {_kind(c)})")


def _equation_match(g: Node, c: Node) -> Match:
    if isinstance(g, Equation) and isinstance(c, Equation):
        same = _equations_equal(g.expr, c.expr)
        return Match(same, "equations " + ("proportional" if same else "differ"))
    eq, other = (g, c) if isinstance(g, Equation) else (c, g)
    if not (isinstance(eq, Equation) and isinstance(other, Expr)):
        return Match(False, f"an equation against a {_kind(other)}")
    value = _quantity(eq)
    if value is not None:
        same = values_equal(value, other.value) or _approx_equal(Expr(value), other)
        return Match(bool(same), "quantity = value: the values " + ("match" if same else "differ"))
    if eq is g and _solved_equal(g.expr, other.value):  # "y + 1 = -(2x-1)^2" answered as "-4x^2+4x-2"
        return Match(True, "the gold equation solved for the variable it defines")
    return Match(False, "an equation against a value")


def answers_equal(gold: Node, cand: Node) -> Match:
    """:func:`nodes_equal`, allowing one free variable to be renamed (``f(z)=z`` vs ``f(x)=x``)."""
    match = nodes_equal(gold, cand)
    if match:
        return match
    gs, cs = symbols(gold), symbols(cand)
    only_g, only_c = gs - cs, cs - gs
    if len(only_g) == 1 and len(only_c) == 1:
        g_sym, c_sym = only_g.pop(), only_c.pop()
        names = label_names(gold) | label_names(cand)  # a named variable is no dummy: y = 2x+3 vs 2y+3
        if _may_rename(str(c_sym), str(g_sym)) and not {str(c_sym), str(g_sym)} & names:
            renamed = nodes_equal(gold, rename(cand, {c_sym: g_sym}))
            if renamed:
                return Match(True, f"{renamed.rule}, after renaming {c_sym} to {g_sym}")
    return match


#: letters that name a free variable or an integer parameter of an answer, not a given quantity
_DUMMY = frozenset("klmnpqrstuvwxyz") | {"ell"}


def _may_rename(cand_name: str, gold_name: str) -> bool:
    """``f(x)=x`` for ``f(z)=z``, ``n\\pi`` for ``k\\pi``, ``c`` for ``C``; never ``b`` for ``a``."""
    return cand_name.lower() == gold_name.lower() or (cand_name in _DUMMY and gold_name in _DUMMY)
