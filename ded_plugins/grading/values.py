"""Numeric equality of two sympy values: exact, an identity test at sample points, the decimal rule.

Values compare exactly when both are exact (rationals: ``1/2004!`` is not ``1/2006!``);
irrational constants compare at 40 significant digits; expressions with variables are
compared at fixed sample points (one of them negative) with 30 digits, which is an
identity test, not a tolerance. The only approximation rule: a number written as a
decimal literal stands for every value that rounds to it, but only at three or more
significant digits and only against rational values (``85.71`` matches ``600/7``;
``0.5`` never matches ``0.48``; ``3.14`` never matches ``\\pi``). No percent x100
leniency, no relative tolerance.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ded_plugins.grading.nodes import Expr


__all__ = ["approx_equal", "equations_equal", "solved_equal", "values_equal"]

_POINTS = ((0.5772156649, 1.3247179572, 0.7390851332), (1.6180339887, 0.3183098862, 2.7182818285))
_MIN_SIGNIFICANT = 3


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


def approx_equal(g: Expr, c: Expr) -> bool:
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


def equations_equal(g: Any, c: Any) -> bool:
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


def solved_equal(equation: Any, value: Any) -> bool:
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
