"""Equivalent rewrites of a gold answer: edits of its LaTeX that keep the value by construction.

``\\frac`` as ``/`` or ``\\dfrac``, spacing, ``\\left( \\right)``, a trailing period,
``x = value``, a commuted sum, a terminating decimal, leading zeros, thousands
separators, ``\\cdot``/``\\times``, ``\\sqrt2``, an interval as its inequality.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from fractions import Fraction

from ded_plugins.grading.answer import split_top
from ded_plugins.grading.nearmiss import frac_spans, gold_interval, gold_items, inequality, is_text


__all__ = ["REWRITES"]


def _atom(text: str) -> bool:
    return bool(re.fullmatch(r"\d+|[A-Za-z]|\\pi", text.strip()))


def _parens(text: str) -> str:
    return text if _atom(text) else f"({text})"


def _frac_to_slash(gold: str, rng: random.Random) -> Iterator[str]:
    """``\\frac{a}{b}`` as ``(a)/(b)`` (not a mixed number's fraction)."""
    spans = [s for s in frac_spans(gold) if not re.search(r"\d\s*$", gold[: s[0]])]
    if not spans:
        return
    out, last = [], 0
    for start, end, num, den in spans:
        if start < last:
            continue  # a fraction inside a fraction: the outer one is rewritten whole
        whole = start == 0 and end == len(gold)
        body = f"{_parens(num)}/{_parens(den)}"
        out += [gold[last:start], body if whole else f"({body})"]
        last = end
    yield "".join(out) + gold[last:]


def _as_inequality(gold: str, rng: random.Random) -> Iterator[str]:
    """An interval gold as its inequality in ``x`` (a half-line also with the sides exchanged)."""
    interval = gold_interval(gold)
    if not interval or ("infty" in interval[1] and "infty" in interval[2]):
        return
    relation = inequality(*interval)
    yield relation
    sides = re.fullmatch(r"x (<|>|\\leq|\\geq) (.+)", relation)
    if sides:
        mirror = {"<": ">", ">": "<", r"\leq": r"\geq", r"\geq": r"\leq"}
        yield f"{sides.group(2)} {mirror[sides.group(1)]} x"


def _dfrac(gold: str, rng: random.Random) -> Iterator[str]:
    if re.search(r"\\frac(?![a-zA-Z])", gold):
        yield re.sub(r"\\frac(?![a-zA-Z])", r"\\dfrac", gold)
    elif r"\dfrac" in gold:
        yield gold.replace(r"\dfrac", r"\frac")


def _spacing(gold: str, rng: random.Random) -> Iterator[str]:
    """Spaces around operators and commas added, or all optional spaces removed."""
    if is_text(gold):
        return
    ops = "+=<>" if gold_items(gold) is None and "," in gold else "+=,<>"  # a thousands comma takes no spaces
    spaced = re.sub(rf"\s*([{ops}]|(?<=[^\s{{(\[^_])-)\s*", r" \1 ", gold).strip()
    spaced = re.sub(r"\s+", " ", spaced)
    if spaced != gold:
        yield spaced
    tight = re.sub(r"(?<![A-Za-z])\s+|\s+(?=[^A-Za-z])", "", gold)
    if tight != gold and not re.search(r"\\[A-Za-z]+\s+[A-Za-z0-9]", gold):
        yield tight


def _left_right(gold: str, rng: random.Random) -> Iterator[str]:
    if r"\left" in gold:
        yield re.sub(r"\\(?:left|right)(?=[()\[\]])", "", gold)
        return
    if re.search(r"[(\[]", gold) and not is_text(gold):
        s = re.sub(r"(?<!\\)([(\[])", r"\\left\1 ", gold)
        yield re.sub(r"(?<!\\)([)\]])", r" \\right\1", s)


def _trailing_period(gold: str, rng: random.Random) -> Iterator[str]:
    yield gold + "."


def _assign(gold: str, rng: random.Random) -> Iterator[str]:
    """``x = value`` (``x \\in`` for an interval), with a letter the gold does not use."""
    if "=" in gold or is_text(gold) or r"\in" in gold or r"\begin" in gold or gold_items(gold):
        return
    name = next((v for v in "xyzt" if not re.search(rf"(?<![\\A-Za-z]){v}", gold)), None)
    if name is None:
        return
    yield f"{name} \\in {gold}" if (gold_interval(gold) or r"\cup" in gold) else f"{name} = {gold}"


def _terms(expr: str) -> list[str]:
    """The top-level terms of a sum, each with its sign (``x^5 - x^4 + 1`` -> ``x^5``, ``- x^4``, ``+ 1``)."""
    terms, depth, start = [], 0, 0
    for i, c in enumerate(expr):
        depth += (c in "({[") - (c in ")}]")
        before = expr[:i].rstrip()
        if (
            depth == 0
            and c in "+-"
            and before
            and before[-1] not in "+-*/^_{([=,\\"
            and not before.endswith("\\pm")
        ):
            terms.append(expr[start:i].strip())
            start = i
    terms.append(expr[start:].strip())
    return [t for t in terms if t]


def _commute(gold: str, rng: random.Random) -> Iterator[str]:
    """The first two terms of a top-level sum swapped (in the value of ``y = ...``)."""
    head, body = "", gold
    sides = split_top(gold, re.compile(r"\s*=\s*"))
    if len(sides) == 2 and re.fullmatch(r"[A-Za-z]", sides[0].strip()):
        head, body = sides[0].strip() + " = ", sides[1]
    elif len(sides) == 2 and sides[1].strip() == "0":
        head, body, tail = "", sides[0], " = 0"
        yield from (t + tail for t in _commute(body, rng))
        return
    elif len(sides) != 1 or gold_items(gold) or r"\pm" in gold or is_text(gold):
        return
    terms = _terms(body)
    if len(terms) < 2 or r"\begin" in body:
        return
    first, second = terms[0], terms[1]
    if not first.startswith(("-", "+")):
        first = "+ " + first
    second = second[1:].lstrip() if second.startswith("+") else second
    yield head + " ".join([second, first, *terms[2:]])


def _as_fraction(text: str) -> Fraction | None:
    m = re.fullmatch(r"(-?)\\[dt]?frac\{?(\d+)\}?\{?(\d+)\}?", text.strip())
    if m and int(m.group(3)):
        return Fraction(int(m.group(2)), int(m.group(3))) * (-1 if m.group(1) else 1)
    return None


def _decimal(gold: str, rng: random.Random) -> Iterator[str]:
    """A terminating fraction as its exact decimal; a decimal gold as its fraction."""
    value = _as_fraction(gold)
    if value is not None:
        q = value.denominator
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        if q == 1 and value.denominator > 1:
            digits = 0
            while (value * 10**digits).denominator != 1:
                digits += 1
            yield f"{float(value):.{digits}f}"
        return
    m = re.fullmatch(r"(-?)(\d*)\.(\d+)", gold.strip())
    if m:
        f = Fraction(int((m.group(2) or "0") + m.group(3)), 10 ** len(m.group(3)))
        yield f"{m.group(1)}\\frac{{{f.numerator}}}{{{f.denominator}}}" if f.denominator > 1 else str(f)


def _leading_zeros(gold: str, rng: random.Random) -> Iterator[str]:
    if re.fullmatch(r"0+\d+", gold):
        yield str(int(gold))
    elif re.fullmatch(r"\d{1,3}", gold):
        yield gold.zfill(3) if len(gold) < 3 else "0" + gold


_THOUSANDS = (",", "{,}", ",\\!", "\\,", " ", "\\ ")


def _thousands(gold: str, rng: random.Random) -> Iterator[str]:
    """An integer of 1000 or more with separators; a gold written with separators without them."""
    plain = (
        re.sub(r"\{,\}|,\\!\s*|\\,|,", "", gold)
        if re.fullmatch(r"\\?\$?\d{1,3}(?:(?:\{,\}|,\\!\s*|\\,|,)\d{3})+", gold)
        else None
    )
    if plain is not None and plain != gold:
        yield plain
        return
    if re.fullmatch(r"\d{4,}", gold):
        groups = f"{int(gold):,}".split(",")
        yield rng.choice(_THOUSANDS).join(groups)


def _cdot(gold: str, rng: random.Random) -> Iterator[str]:
    """A product written side by side, with an explicit ``\\cdot`` or ``\\times``."""
    if is_text(gold):
        return
    spots = [
        m.end(1)
        for m in re.finditer(r"(\d|\))\s*(?=\\sqrt|\\pi|\(|[a-zA-Z](?<!e))", gold)
        if not re.match(r"\s*\\(?:frac|dfrac|text|mbox|circ|right|infty)|\s*[a-z]{2}", gold[m.end(1) :])
        and not re.search(r"[_^]\{?\d*$", gold[: m.end(1)])
    ]
    if not spots:
        return
    i = rng.choice(spots)
    op = rng.choice((r"\cdot", r"\times"))
    yield gold[:i] + f" {op} " + gold[i:].lstrip()


def _sqrt_braces(gold: str, rng: random.Random) -> Iterator[str]:
    if re.search(r"\\sqrt\{(\w)\}", gold):
        yield re.sub(r"\\sqrt\{(\w)\}", r"\\sqrt\1", gold)
    elif re.search(r"\\sqrt\s*(\d)(?!\d)", gold):
        yield re.sub(r"\\sqrt\s*(\d)(?!\d)", r"\\sqrt{\1}", gold)


#: equivalent rewrites: every candidate they produce is the gold's value
REWRITES: dict[str, Callable[[str, random.Random], Iterator[str]]] = {
    "frac_slash": _frac_to_slash,
    "dfrac": _dfrac,
    "spacing": _spacing,
    "left_right": _left_right,
    "trailing_period": _trailing_period,
    "assign": _assign,
    "commute_sum": _commute,
    "as_inequality": _as_inequality,
    "decimal": _decimal,
    "leading_zeros": _leading_zeros,
    "thousands": _thousands,
    "cdot_times": _cdot,
    "sqrt_braces": _sqrt_braces,
}
