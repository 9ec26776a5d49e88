"""Equivalence of two parsed answers (see :mod:`ded_plugins.grading.nodes` for the structures).

The structure decides the comparison: tuples are ordered, lists and sets unordered (never
"any element matches"), intervals keep their open and closed ends (ends written as
decimals follow the rounding rule of :mod:`ded_plugins.grading.values`), relations their
direction and strictness, words compare as words, unparsed math only by its whole form.
Every comparison returns a :class:`Match` that names the rule that decided.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from ded_plugins.grading.values import approx_equal, equations_equal, solved_equal, values_equal


__all__ = ["Match", "answers_equal", "nodes_equal"]

_NEGATIONS = frozenset({"not", "no", "never", "non", "neither", "nor", "isn't", "cannot"})


@dataclass(frozen=True, slots=True)
class Match:
    """A verdict on two parsed answers and the rule that decided it; truthy when equal."""

    equal: bool
    rule: str

    def __bool__(self) -> bool:
        return self.equal


def _exprs_equal(g: Expr, c: Expr) -> Match:
    # a unit is dropped when the other side has none; two different units of measure never match
    if g.unit and c.unit and not same_unit(g.unit, c.unit):
        return Match(False, f"different units ({g.unit} vs {c.unit})")
    if values_equal(g.value, c.value):
        return Match(True, "equal values")
    written_decimal = g.decimals is not None or c.decimals is not None
    if written_decimal and not (g.value.free_symbols or c.value.free_symbols) and approx_equal(g, c):
        return Match(True, "decimal rounding")
    return Match(False, "different values")


def _quantity(equation: Equation) -> Any:
    """``|AB| = 1``, ``S_1 : S = 7 : 32``, ``f(2) = 5``: a measured quantity's value (else ``None``).

    The rule: ``L = c`` with a constant ``c`` states the value of ``L`` when ``L`` is no
    polynomial (a length, a ratio, a function value) and is not an equation in one
    unknown (``\\sqrt{x} = 3`` is solved for ``x``, not answered by 3).
    """
    import sympy
    from sympy.core.function import AppliedUndef

    lhs, rhs = equation.lhs, equation.rhs
    if rhs.free_symbols or len(lhs.free_symbols) == 1:
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
            if nodes_equal(item, other, part=True):
                del remaining[j]
                break
        else:
            return False
    return True


def _ends_equal(x: Any, y: Any, approx: dict[Any, int]) -> bool:
    """Two interval ends, as values (an end written as a decimal follows the rounding rule)."""
    return _exprs_equal(Expr(x, approx.get(x)), Expr(y, approx.get(y))).equal


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


def nodes_equal(gold: Node, cand: Node, *, part: bool = False) -> Match:
    """Is ``cand`` an equivalent answer to ``gold``? ``part``: they are elements of lists or tuples."""
    g, c = _unwrap(gold), _unwrap(cand)
    if isinstance(g, Text) != isinstance(c, Text):  # "7:32" is a clock time only against a clock time
        g = Expr(g.ratio) if isinstance(g, Text) and g.ratio is not None else g
        c = Expr(c.ratio) if isinstance(c, Text) and c.ratio is not None else c
    if isinstance(g, Labeled) or isinstance(c, Labeled):
        resolved = resolve_labels(g, c, part=part)
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
        equal, rule = relations_equal(g, c, lambda a, b: _sets_equal(a, b, {}))
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
                nodes_equal(x, y, part=True) for x, y in zip(g.items, c.items, strict=True)
            )
            return Match(same, "tuples (ordered) " + ("equal" if same else "differ"))
        same = _multiset_equal(g.items, c.items)
        return Match(same, "unordered elements " + ("match" if same else "differ"))
    return Match(False, f"different kinds of answer ({_kind(g)} vs {_kind(c)})")


def _equation_match(g: Node, c: Node) -> Match:
    if isinstance(g, Equation) and isinstance(c, Equation):
        same = equations_equal(g.expr, c.expr)
        return Match(same, "equations " + ("proportional" if same else "differ"))
    eq, other = (g, c) if isinstance(g, Equation) else (c, g)
    if not (isinstance(eq, Equation) and isinstance(other, Expr)):
        return Match(False, f"an equation against a {_kind(other)}")
    value = _quantity(eq)
    if value is not None:
        same = _exprs_equal(Expr(value), other).equal
        return Match(same, "quantity = value: the values " + ("match" if same else "differ"))
    if eq is g and solved_equal(g.expr, other.value):  # "y + 1 = -(2x-1)^2" answered as "-4x^2+4x-2"
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
