"""LaTeX (or plain) math expression -> sympy, through a whitelisted Python-syntax string.

The converter rewrites the few LaTeX constructs answers use (``\\frac``, ``\\sqrt``,
``^{}``, ``\\binom``, trig and log functions, subscripts, mixed numbers) into Python
syntax, tokenises the result, and refuses any identifier it does not know: sympy's
``parse_expr`` evaluates its input, so nothing but numbers, operators, single-letter
symbols and a fixed list of sympy names may reach it. Decimals become exact rationals.
Numbers too large to compute (``9^{9^{9}}``, ``100000!``) are refused before sympy
sees them: big-integer arithmetic cannot be interrupted by anything but a process kill.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from typing import Any


__all__ = ["GEOMETRY_COMMANDS", "ExprTooLargeError", "LatexError", "find_group", "latex_to_sympy"]

#: log10 of the largest magnitude we let sympy compute exactly
MAX_LOG10 = 20_000.0


class LatexError(ValueError):
    """The text is not an expression this converter understands."""


class ExprTooLargeError(LatexError):
    """The expression denotes a number too large to compute."""


_FUNCS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "cot": "cot", "sec": "sec", "csc": "csc",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arccot": "acot",
    "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
    "ln": "log", "log": "log", "exp": "exp", "lg": "log10_",
}  # fmt: skip
_INVERSE = {"sin": "asin", "cos": "acos", "tan": "atan", "cot": "acot"}
_NAMES = {
    "sqrt", "root", "binomial", "factorial", "Abs", "pi", "oo", "E", "I", "sum_op", "prod_op",
    "asin", "acos", "atan", "acot", "sinh", "cosh", "tanh", "log", "log10_", "exp",
    "sin", "cos", "tan", "cot", "sec", "csc",
}  # fmt: skip
_GREEK = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi",
    "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega",
})  # fmt: skip
#: commands that name one geometric quantity (\angle ABC is one symbol, not a product)
GEOMETRY_COMMANDS = frozenset(
    {"angle", "measuredangle", "overline", "overarc", "widehat", "triangle", "vec", "overrightarrow"}
)
_PLAIN_SYMBOLS = [c for c in "abcdjklmnopqrstuvwxyzABCDFGHJKLMNOPQRSTUVWXYZ"]
_TOKEN = re.compile(r"\s*(?:(\d+\.\d*|\.\d+|\d+)|([A-Za-z]+(?:_[A-Za-z0-9]+)?)|(\*\*|[-+*/(),!]))")


def find_group(text: str, start: int) -> tuple[str, int]:
    """The argument starting at ``start`` (a ``{...}`` group or one character) and the end index."""
    i = start
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        raise LatexError("missing argument")
    if text[i] == "{":
        depth = 0
        for j in range(i, len(text)):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    return text[i + 1 : j], j + 1
        raise LatexError("unbalanced braces")
    if text[i] == "\\":
        m = re.match(r"\\[A-Za-z]+", text[i:])
        if m:
            return m.group(0), i + m.end()
    return text[i], i + 1


def _opens_value(out: list[str]) -> bool:
    """Is the next character at the start of a value (so that ``|`` opens an absolute value)?"""
    prev = "".join(out[-3:]).rstrip()
    return not prev or prev[-1] in "(,+-*/^=" or prev.endswith("Abs(")


def _big_operator(name: str, s: str, i: int) -> tuple[str, int]:
    r"""``\sum_{k=1}^{n} body`` -> ``sum_op(body, k, 1, n)``; the body runs to the next top-level + or -."""
    lower, i = find_group(s, i + 1) if s[i : i + 1] == "_" else ("", i)
    upper, i = find_group(s, i + 1) if s[i : i + 1] == "^" else ("", i)
    if s[i : i + 1] == "_" and not lower:
        lower, i = find_group(s, i + 1)
    m = re.fullmatch(r"\s*([A-Za-z])\s*=\s*(.+)", lower)
    if not m or not upper:
        raise LatexError(f"\\{name} needs a variable, a lower and an upper limit")
    depth, j = 0, i
    while j < len(s):
        depth += (s[j] in "({[") - (s[j] in ")}]")
        if depth < 0 or (depth == 0 and s[j] in "+-=," and j > i and s[j - 1] not in "^_{("):
            break
        j += 1
    body = s[i:j]
    if not body.strip():
        raise LatexError(f"\\{name} without a body")
    func = "sum_op" if name == "sum" else "prod_op"
    return f"{func}(({_convert(body)}),{m.group(1)},({_convert(m.group(2))}),({_convert(upper)}))", j


def _convert(s: str) -> str:
    """Rewrite LaTeX constructs into Python syntax (recursively for their arguments)."""
    out: list[str] = []
    i = bars = 0
    while i < len(s):
        c = s[i]
        if c == "|":  # |x| is an absolute value: a bar closes an open one unless a value starts here
            closes = bars > 0 and not _opens_value(out)
            out.append(")" if closes else "Abs(")
            bars += -1 if closes else 1
            i += 1
        elif c == "\\":
            m = re.match(r"\\([A-Za-z]+)", s[i:])
            if not m:
                out.append(" ")
                i += 2
                continue
            name = m.group(1)
            i += m.end()
            if name in ("frac", "dfrac", "tfrac", "cfrac"):
                num, i = find_group(s, i)
                den, i = find_group(s, i)
                out.append(f"(({_convert(num)})/({_convert(den)}))")
            elif name in ("binom", "dbinom", "tbinom"):
                a, i = find_group(s, i)
                b, i = find_group(s, i)
                out.append(f"binomial({_convert(a)},{_convert(b)})")
            elif name == "sqrt":
                index = None
                if i < len(s) and s[i] == "[":
                    close = s.index("]", i)
                    index, i = s[i + 1 : close], close + 1
                arg, i = find_group(s, i)
                arg_py = _convert(arg)
                out.append(f"root({arg_py},{_convert(index)})" if index else f"sqrt({arg_py})")
            elif name in _FUNCS:
                func = _FUNCS[name]
                base = None
                if name == "log" and s[i : i + 1] == "_":
                    base, i = find_group(s, i + 1)
                power = None
                if s[i : i + 1] == "^":
                    power, i = find_group(s, i + 1)
                    if power.strip() == "-1" and name in _INVERSE:
                        func, power = _INVERSE[name], None
                arg, i = _function_argument(s, i)
                call = f"{func}({_convert(arg)})"
                if base is not None:
                    call = f"log({_convert(arg)},{_convert(base)})"
                out.append(f"({call})**({_convert(power)})" if power else call)
            elif name in ("sum", "prod"):
                text, i = _big_operator(name, s, i)
                out.append(text)
            elif name in ("cdot", "times", "ast"):
                out.append("*")
            elif name == "div":
                out.append("/")
            elif name == "pi":
                out.append(" pi ")
            elif name == "infty":
                out.append(" oo ")
            elif name in GEOMETRY_COMMANDS:  # \angle ABC, \overline{AB}: one named quantity, not a product
                m2 = re.match(r"\s*(\{[A-Za-z0-9\s]+\}|[A-Za-z]+)", s[i:])
                if not m2:
                    raise LatexError(f"\\{name} without a name")
                label = re.sub(r"[{}\s]", "", m2.group(1))
                out.append(f" {name}_{label} ")
                i += m2.end()
            elif name in _GREEK:
                out.append(f" {name} ")
            elif name in ("left", "right", "bigl", "bigr", "Bigl", "Bigr", "big", "Big", "bigg", "Bigg"):
                pass
            elif name in ("mathrm", "text", "mathit", "mathbf", "operatorname", "textrm"):
                arg, i = find_group(s, i)
                out.append(_convert(arg))
            elif name in ("quad", "qquad"):
                out.append(" ")
            else:
                raise LatexError(f"unsupported command \\{name}")
        elif c == "^":
            j = i + 1
            while j < len(s) and s[j] == " ":
                j += 1
            if s[j : j + 1] == "(":  # "10^(-10)"
                arg, i = _function_argument(s, j)
            else:
                arg, i = find_group(s, i + 1)
            out.append(f"**({_convert(arg)})")
        elif c == "_":
            arg, i = find_group(s, i + 1)
            sub = re.sub(r"[^A-Za-z0-9]", "", arg)
            if not sub:
                raise LatexError("empty subscript")
            out.append(f"_{sub}")
        elif c in "{[":
            out.append("(")
            i += 1
        elif c in "}]":
            out.append(")")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _function_argument(s: str, i: int) -> tuple[str, int]:
    """``\\sin x``, ``\\sin(x+1)``, ``\\sin{x}``, ``\\sin 2x``: the argument text and end index."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i < len(s) and s[i] == "(":
        depth = 0
        for j in range(i, len(s)):
            depth += {"(": 1, ")": -1}.get(s[j], 0)
            if depth == 0:
                return s[i : j + 1], j + 1
        raise LatexError("unbalanced parentheses")
    if s[i : i + 6] == "\\left(":
        end = s.find("\\right)", i)
        if end < 0:
            raise LatexError("unbalanced \\left(")
        return s[i : end + 7], end + 7
    for command, n_args in (("\\sqrt", 1), ("\\frac", 2), ("\\dfrac", 2)):
        if s.startswith(command, i) and not s[i + len(command) : i + len(command) + 1].isalpha():
            end = i + len(command)
            for _ in range(n_args):
                _, end = find_group(s, end)
            return s[i:end], end
    m = re.match(r"\d*(?:\\[A-Za-z]+|[A-Za-z])?", s[i:])
    if m and m.group(0):
        return m.group(0), i + m.end()
    return find_group(s, i)


def _tokens_to_python(py: str) -> str:
    """Whitelist tokens; split unknown multi-letter names into single-letter products."""
    out: list[str] = []
    pos = 0
    py = py.rstrip()
    while pos < len(py):
        m = _TOKEN.match(py, pos)
        if not m or m.end() == pos:
            raise LatexError(f"unexpected character {py[pos:].strip()[:1]!r}")
        pos = m.end()
        number, name, op = m.groups()
        # explicit products: "2x", "2(", "x(" (x is no function), ")(", ")x", "x y"
        prev = out[-1] if out else ""
        ends_value = bool(prev) and (prev == ")" or prev == "!" or prev[-1].isalnum())
        prev_is_func = (prev in _NAMES and prev not in ("pi", "oo", "E", "I")) or prev in ("f", "g", "h")
        starts_value = number is not None or name is not None or op == "("
        if number is not None and prev[-1:].isdigit():
            # "1 000" is no product: two numerals side by side are no expression
            raise LatexError(f"two numbers side by side: {prev} {number}")
        if ends_value and starts_value and not (op == "(" and prev_is_func):
            out.append("*")
        if number is not None:
            # a numeral with leading zeros is the same decimal number ("025" is 25, not 0)
            out.append(re.sub(r"^0+(?=\d)", "", number))
        elif name is not None:
            if name in _NAMES or name in _GREEK or "_" in name or len(name) == 1:
                out.append(name)
            else:  # "ab" is a*b, "xy" is x*y: implicit products of single-letter symbols
                out.append("*".join(name))
        else:
            out.append(op)
    joined = re.sub(r"\s+!", "!", " ".join(out))  # factorial_notation needs "n!" unspaced
    if "!" in joined and ("**" in joined or any(t.isdigit() and int(t) > 10_000 for t in out)):
        # factorials are computed while parsing, before any size check could run
        raise ExprTooLargeError("factorial of a large or computed number")
    return joined


def _limits(body: Any, var: Any, lo: Any, hi: Any) -> tuple[Any, tuple[Any, Any, Any]]:
    """``\\sum_{i=1}^{n}``: an index named ``i`` or ``e`` is a variable, not the constant."""
    import sympy

    if not isinstance(var, sympy.Symbol):
        index = sympy.Symbol("i" if var == sympy.I else "e" if var == sympy.E else "k_")
        return body.xreplace({var: index}), (index, lo, hi)
    return body, (var, lo, hi)


@lru_cache(maxsize=4096)
def latex_to_sympy(text: str) -> Any:
    """Parse ``text`` into a sympy expression, or raise :class:`LatexError`."""
    from sympy import E, Function, I, Product, Sum, Symbol, binomial, log, pi, root, sqrt
    from sympy.parsing.sympy_parser import (
        implicit_multiplication,
        parse_expr,
        rationalize,
        standard_transformations,
    )

    from ded_plugins.grading.magnitude import log10_bound

    py = _tokens_to_python(_convert(text))
    if not py.strip():
        raise LatexError("empty expression")
    local: dict[str, Any] = {"E": E, "e": E, "I": I, "i": I, "pi": pi, "root": root, "sqrt": sqrt}
    local["binomial"] = binomial
    local["sum_op"] = lambda body, var, lo, hi: Sum(*_limits(body, var, lo, hi))
    local["prod_op"] = lambda body, var, lo, hi: Product(*_limits(body, var, lo, hi))
    local["log10_"] = lambda x: log(x, 10)
    for name in _GREEK:
        local[name] = Symbol(name)
    for letter in "fgh":
        local[letter] = Function(letter)
    for letter in _PLAIN_SYMBOLS:  # so that "x(x+1)" is a product; f, g, h stay functions
        local.setdefault(letter, Symbol(letter))
    transforms: tuple[Any, ...] = (
        *standard_transformations,  # includes factorial_notation
        rationalize,
        implicit_multiplication,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sympy's deprecation chatter about odd inputs
            if "**" in py or "!" in py or "_op" in py:
                raw = parse_expr(py, local_dict=dict(local), transformations=transforms, evaluate=False)
                if log10_bound(raw) > MAX_LOG10:
                    raise ExprTooLargeError(f"number too large to compute: {text[:40]}")
            value = parse_expr(py, local_dict=local, transformations=transforms)
            if "_op" in py:  # a sum or product is evaluated where sympy finds its value; else it is refused
                value = value.doit()
                if value.has(Sum, Product):
                    raise LatexError(f"no closed form for {text[:40]}")
            return value
    except LatexError:
        raise
    except Exception as exc:  # sympy raises anything from SyntaxError to TypeError on junk
        raise LatexError(f"cannot parse {text[:60]!r}: {type(exc).__name__}") from exc
