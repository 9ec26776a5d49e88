"""Named answers (``y = 2x + 3``, ``f(x) = x^2``, ``k = 4``) and renaming of free variables.

Rules (each one sentence):

* ``name = value`` is read as its value, except when the other answer uses the named
  variable: then it is the equation ``name - value = 0`` (so ``2y + 3`` never answers
  ``y = 2x + 3``).
* When both answers name what they give, the names must agree (so ``x = 2y + 3`` never
  equals ``y = 2x + 3``, nor ``x = 1, y = 2`` the pair ``x = 2, y = 1``), except for one
  constant alone (``n = 5`` gives the number ``x = 5`` gives); ``y`` and any ``f(x)`` both
  name "the function".
* A named variable is never renamed to make two answers match.
"""

from __future__ import annotations

from typing import Any

from ded_plugins.grading.nodes import Equation, Expr, Labeled, Node, Relation, Seq, SetNode


__all__ = ["label_names", "rename", "resolve_labels", "symbols"]


def _same_name(a: Labeled, b: Labeled) -> bool:
    if a.name == b.name:
        return True
    if a.function and b.function:
        return False  # f(n) = n and g(n) = n name different functions
    return (a.function and b.name == "y") or (b.function and a.name == "y")


def _as_value(label: Labeled, other: Node) -> Node:
    """The label's value, or the equation ``name = value`` when ``other`` uses the named variable."""
    if label.function or not isinstance(label.value, Expr):
        return label.value
    used = [s for s in symbols(other) if str(s) == label.name]
    if not used:
        return label.value
    lhs, rhs = used[0], label.value.value
    return Equation(lhs - rhs, lhs, rhs)


def _constant(node: Node) -> bool:
    return isinstance(node, Expr) and not node.value.free_symbols


def resolve_labels(g: Node, c: Node, *, part: bool = False) -> tuple[Node, Node] | str:
    """Both nodes with their names resolved (module rules), or why they cannot be equal.

    ``part``: the two are elements of lists or tuples, where names tell the elements apart.
    """
    if isinstance(g, Labeled) and isinstance(c, Labeled):
        alone = not part and _constant(g.value) and _constant(c.value)
        if not (_same_name(g, c) or alone):
            return f"different names ({g.name} vs {c.name})"
        return g.value, c.value
    if isinstance(g, Labeled):
        return _as_value(g, c), c
    if isinstance(c, Labeled):
        return g, _as_value(c, g)
    return g, c


def symbols(node: Node) -> set[Any]:
    """Free symbols of the values (a label's name is not counted)."""
    if isinstance(node, Expr | SetNode):
        return set(node.value.free_symbols)
    if isinstance(node, Equation):
        return set(node.expr.free_symbols)
    if isinstance(node, Relation):
        return set().union(*(s.value.free_symbols for s in node.sides))
    if isinstance(node, Labeled):
        return symbols(node.value)
    if isinstance(node, Seq):
        return set().union(*(symbols(i) for i in node.items)) if node.items else set()
    return set()


def label_names(node: Node) -> set[str]:
    """Every name given by a label anywhere in ``node``."""
    if isinstance(node, Labeled):
        return {node.name} | label_names(node.value)
    if isinstance(node, Seq):
        return set().union(*(label_names(i) for i in node.items)) if node.items else set()
    return set()


def rename(node: Node, mapping: dict[Any, Any]) -> Node:
    """``node`` with free symbols replaced (labels' names stay)."""
    if isinstance(node, Expr):
        return Expr(node.value.xreplace(mapping), node.decimals, node.unit)
    if isinstance(node, SetNode):
        return SetNode(node.value.xreplace(mapping), node.approx)
    if isinstance(node, Equation):
        return Equation(node.expr.xreplace(mapping), node.lhs.xreplace(mapping), node.rhs.xreplace(mapping))
    if isinstance(node, Relation):
        sides = tuple(Expr(s.value.xreplace(mapping), s.decimals, s.unit) for s in node.sides)
        return Relation(sides, node.ops, node.turned)
    if isinstance(node, Labeled):
        return Labeled(node.name, rename(node.value, mapping), node.function)
    if isinstance(node, Seq):
        return Seq(node.kind, tuple(rename(i, mapping) for i in node.items), node.pair_parens)
    return node
