"""An upper bound of a number's size, checked before sympy computes it.

Big-integer arithmetic in C cannot be interrupted by anything but a process kill, so
``9^{9^{9}}``, ``100000!`` and ``\\sum_{k=1}^{10^{9}} k`` are refused from their
unevaluated form: towers of powers, factorials of large numbers, sums and products
with too many terms.
"""

from __future__ import annotations

import math
from typing import Any


__all__ = ["log10_bound"]


def log10_bound(expr: Any) -> float:
    """An upper bound of log10 |value| of a numeric sub-tree (inf when it is astronomically large)."""
    import sympy

    if expr.is_Integer or expr.is_Rational:
        p, q = int(expr.p), int(expr.q)
        return max(math.log10(abs(p)) if p else 0.0, math.log10(q))
    if expr.is_Number or expr.is_Symbol or expr.is_NumberSymbol:
        return 1.0
    if isinstance(expr, sympy.Pow):
        base, exp = log10_bound(expr.base), log10_bound(expr.exp)
        if exp > 7:
            return math.inf
        return max(base, 0.5) * 10**exp
    if isinstance(expr, sympy.factorial):
        n = log10_bound(expr.args[0])
        return math.inf if n > 6 else 10**n * n
    if isinstance(expr, sympy.Sum | sympy.Product):  # at most (terms) x (the term at the upper limit)
        index, lo, hi = expr.limits[0]
        terms = max(log10_bound(lo), log10_bound(hi))
        body = max(log10_bound(expr.function), log10_bound(expr.function.xreplace({index: hi})))
        return (
            math.inf if terms > 6 else (body * 10**terms if isinstance(expr, sympy.Product) else body + terms)
        )
    return sum(log10_bound(a) for a in expr.args) if expr.args else 1.0
