"""Near misses and equivalent rewrites of a gold answer, to test a grader from real golds.

Every transform edits the gold's LaTeX and is built to be right by construction: a near
miss changes the value (a flipped sign of a non-zero term, one changed digit, an integer
off by one, a flipped or loosened inequality, an endpoint opened or closed, two unequal
coordinates swapped, a solution dropped or added, an exponent changed, a fraction turned
upside down), and a rewrite keeps it (``\\frac`` as ``/`` or ``\\dfrac``, spacing,
``\\left( \\right)``, a trailing period, ``x = value``, a commuted sum, a terminating
decimal, leading zeros, thousands separators, ``\\cdot``/``\\times``, ``\\sqrt2``). A
transform that does not apply to a gold yields nothing. Choices (which digit, which
term) come from a generator seeded by the gold, so the suite is the same on every run.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction

from ded_plugins.grading.answer import split_top
from ded_plugins.grading.latex import LatexError, find_group


__all__ = ["NEAR_MISSES", "REWRITES", "Probe", "probes"]


@dataclass(frozen=True, slots=True)
class Probe:
    """One (gold, candidate) pair: ``equivalent`` says whether a grader must accept it."""

    gold: str
    candidate: str
    equivalent: bool
    transform: str
    source: str = ""


_COMMA = re.compile(r"\s*,\s*")
_INT = re.compile(r"(?<![\d.])\d+(?![\d.])")


def _is_text(gold: str) -> bool:
    """Names, letters and sentences are graded as words: only value transforms are skipped."""
    return bool(re.search(r"\\text\s*\{\s*\(?[A-Za-z]{1,}", gold)) and not re.search(r"\d", gold)


def _frac_spans(gold: str) -> list[tuple[int, int, str, str]]:
    """``(start, end, numerator, denominator)`` of every ``\\frac``/``\\dfrac`` (also ``\\frac 34``)."""
    spans = []
    for m in re.finditer(r"\\[dt]?frac(?![a-zA-Z])", gold):
        try:
            num, i = find_group(gold, m.end())
            den, j = find_group(gold, i)
        except LatexError:
            continue
        spans.append((m.start(), j, num, den))
    return spans


def _atom(text: str) -> bool:
    return bool(re.fullmatch(r"\d+|[A-Za-z]|\\pi", text.strip()))


def _parens(text: str) -> str:
    return text if _atom(text) else f"({text})"


def _interval(gold: str) -> tuple[str, str, str, str] | None:
    """``(open, lo, hi, close)`` when the gold is one interval with a finite end."""
    m = re.fullmatch(r"(?:\\left)?([(\[])(.*)(?:\\right)?([)\]])", gold.strip())
    if not m or r"\cup" in gold:
        return None
    parts = split_top(m.group(2).replace(r"\right", ""), _COMMA)
    if len(parts) != 2:
        return None
    lo, hi = parts
    if m.group(1) == "(" and m.group(3) == ")" and "infty" not in gold:
        return None  # (a, b) with finite ends is also a point
    return m.group(1), lo, hi, m.group(3)


def _wraps(text: str, open_: str, close: str) -> bool:
    """Does one bracket pair enclose all of ``text``?"""
    if not (text.startswith(open_) and text.endswith(close)):
        return False
    depth = 0
    for i, c in enumerate(text):
        depth += (c in "([{") - (c in ")]}")
        if depth == 0 and i < len(text) - 1:
            return False
    return True


_GROUPED = re.compile(r"(?:\\\$)?-?\d{1,3}(?:(?:,\\!\s*|\{,\}|,)\d{3})+(?:\.\d+)?")


def _items(gold: str) -> tuple[str, list[str], str] | None:
    """``(prefix, elements, suffix)`` of a list ``3, 5, 7``, a set ``\\{...\\}`` or a tuple ``(a, b)``."""
    s = gold.strip()
    if _GROUPED.fullmatch(s) or "{,}" in s or ",\\!" in s:
        return None  # 10,\!080 is one number
    for open_, close in ((r"\{", r"\}"), (r"\left(", r"\right)"), ("(", ")")):
        bare = s.replace(r"\left", "").replace(r"\right", "").replace(r"\{", "{").replace(r"\}", "}")
        if s.startswith(open_) and _wraps(bare, open_[-1], close[-1]):
            inner = s[len(open_) : len(s) - len(close)]
            parts = split_top(inner, _COMMA)
            return (open_, parts, close) if len(parts) >= 2 else None
    parts = split_top(s, _COMMA)
    return ("", parts, "") if len(parts) >= 2 and r"\cup" not in s else None


def _nonzero(term: str) -> bool:
    return bool(re.search(r"[1-9A-Za-z]", re.sub(r"\\(?:left|right|circ)\b", "", term)))


# --- near misses ------------------------------------------------------------------------


def _flip_sign(gold: str, rng: random.Random) -> Iterator[str]:
    """The sign of the first term (or of one element of a list or tuple), which is not zero."""
    if _is_text(gold) or _interval(gold) or r"\begin" in gold or "=" in gold:
        return
    items = _items(gold)
    if items:
        prefix, parts, suffix = items
        k = rng.randrange(len(parts))
        if _nonzero(parts[k]) and r"\pm" not in parts[k]:
            flipped = parts[k][1:].lstrip() if parts[k].startswith("-") else "-" + parts[k]
            yield prefix + ", ".join([*parts[:k], flipped, *parts[k + 1 :]]) + suffix
        return
    first = re.match(r"-?[^+\-]+", gold.strip())
    if first and _nonzero(first.group(0)) and not re.search(r"\\(?:in|cup|infty)\b", gold):
        s = gold.strip()
        yield s[1:].lstrip() if s.startswith("-") else "-" + s


def _change_digit(gold: str, rng: random.Random) -> Iterator[str]:
    """One digit replaced by another (not a digit of an exponent of 1, nor one inside a word)."""
    if _is_text(gold):
        return
    spots = [
        m.start()
        for m in re.finditer(r"\d", gold)
        if not re.search(r"(?:^|[^\d.])1\^\{?$", gold[: m.start()])  # 1^n is 1 for every n
        and not re.search(r"_\{?\d*$", gold[: m.start()])  # the base of 52_8 (its digits may not fit)
    ]
    if not spots:
        return
    i = rng.choice(spots)
    yield gold[:i] + rng.choice([d for d in "0123456789" if d != gold[i]]) + gold[i + 1 :]


def _off_by_one(gold: str, rng: random.Random) -> Iterator[str]:
    """The last integer of the gold plus or minus one (not an exponent of 1, nor a base subscript)."""
    if _is_text(gold):
        return
    found = [
        m
        for m in _INT.finditer(gold)
        if not re.search(r"_\{?$", gold[: m.start()])
        and not re.search(r"(?:^|[^\d])1\^\{?$", gold[: m.start()])
    ]
    if not found:
        return
    m = found[-1]
    value = int(m.group(0))
    step = rng.choice((1, -1)) if value > 0 else 1
    if value + step == 0 and m.start() > 0 and gold[m.start() - 1] == "^":
        step = 1  # x^0 is 1: stay away from it
    new = str(value + step)
    if len(m.group(0)) > 1 and m.group(0).startswith("0"):
        new = new.zfill(len(m.group(0)))  # "025" -> "026"
    yield gold[: m.start()] + new + gold[m.end() :]


def _inequality(open_: str, lo: str, hi: str, close: str, *, flip: bool = False, loosen: int = -1) -> str:
    """The interval as an inequality in ``x``; ``flip`` turns every sign round, ``loosen`` toggles
    the strictness of the lower (0) or upper (1) end."""
    strict = [open_ == "(", close == ")"]
    if loosen in (0, 1):
        strict[loosen] = not strict[loosen]
    less = [("<" if s else r"\leq") for s in strict]
    if flip:
        less = [">" if op == "<" else r"\geq" for op in less]
    greater = {"<": ">", r"\leq": r"\geq", ">": "<", r"\geq": r"\leq"}
    if "infty" in hi and "infty" not in lo:
        return f"x {greater[less[0]]} {lo}"
    if "infty" in lo and "infty" not in hi:
        return f"x {less[1]} {hi}"
    return f"{lo} {less[0]} x {less[1]} {hi}"


def _relation_misses(gold: str, rng: random.Random) -> Iterator[str]:
    """From an interval gold: its inequality with the direction flipped, or one end loosened."""
    interval = _interval(gold)
    if not interval or ("infty" in interval[1] and "infty" in interval[2]):
        return
    open_, lo, hi, close = interval
    yield _inequality(open_, lo, hi, close, flip=True)
    end = 0 if "infty" in hi else 1 if "infty" in lo else rng.randrange(2)
    yield _inequality(open_, lo, hi, close, loosen=end)


def _endpoint(gold: str, rng: random.Random) -> Iterator[str]:
    """One finite endpoint of an interval (or of a union's piece) opened or closed."""
    spots = []
    for m in re.finditer(r"[(\[]", gold):
        rest = gold[m.end() :]
        if re.match(r"\s*-?\\infty", rest) or r"\begin" in gold:
            continue
        if re.match(r"[^()\[\]]*,[^()\[\]]*[)\]]", rest):
            spots.append(m.start())
    for m in re.finditer(r"[)\]]", gold):
        before = gold[: m.start()]
        if re.search(r"\\infty\s*(?:\\right)?$", before) or r"\begin" in gold:
            continue
        if re.search(r"[(\[][^()\[\]]*,[^()\[\]]*(?:\\right)?$", before):
            spots.append(m.start())
    if not spots or not (_interval(gold) or r"\cup" in gold):
        return
    i = rng.choice(spots)
    swap = {"(": "[", "[": "(", ")": "]", "]": ")"}
    yield gold[:i] + swap[gold[i]] + gold[i + 1 :]


def _swap_pair(gold: str, rng: random.Random) -> Iterator[str]:
    """Two different coordinates of a tuple exchanged."""
    items = _items(gold)
    if not items or items[0] not in ("(", r"\left(") or _interval(gold):
        return
    prefix, parts, suffix = items
    pairs = [(i, j) for i in range(len(parts)) for j in range(i + 1, len(parts)) if parts[i] != parts[j]]
    if not pairs:
        return
    i, j = rng.choice(pairs)
    parts = list(parts)
    parts[i], parts[j] = parts[j], parts[i]
    yield prefix + ", ".join(parts) + suffix


def _drop_or_add(gold: str, rng: random.Random) -> Iterator[str]:
    """A list of solutions, a set or a ``\\pm`` pair with one element dropped, and with one added."""
    items = _items(gold)
    if items and items[0] not in ("(", r"\left("):
        prefix, parts, suffix = items
        k = rng.randrange(len(parts))
        yield prefix + ", ".join(parts[:k] + parts[k + 1 :]) + suffix
        extra = next(str(n) for n in range(17, 100) if str(n) not in gold)
        yield prefix + ", ".join([*parts, extra]) + suffix
    elif gold.count(r"\pm") == 1 and "," not in gold and "=" not in gold:
        yield gold.replace(r"\pm", "+")
        yield gold.replace(r"\pm", "-")


def _change_exponent(gold: str, rng: random.Random) -> Iterator[str]:
    """One integer exponent raised by one (``x^5`` -> ``x^6``; never ``^\\circ``, nor a power of 1)."""
    spots = [
        m
        for m in re.finditer(r"\^\{?(\d+)\}?", gold)
        if not re.search(r"(?:^|[^\d])[01]\s*$", gold[: m.start()])
    ]
    if not spots:
        return
    m = rng.choice(spots)
    yield gold[: m.start(1)] + str(int(m.group(1)) + 1) + gold[m.end(1) :]


def _swap_fraction(gold: str, rng: random.Random) -> Iterator[str]:
    """A fraction turned upside down, when its two parts differ."""
    spans = [s for s in _frac_spans(gold) if s[2].strip().lstrip("-") != s[3].strip().lstrip("-")]
    if not spans:
        return
    start, end, num, den = rng.choice(spans)
    yield gold[:start] + f"\\frac{{{den}}}{{{num}}}" + gold[end:]


#: near-miss transforms: every candidate they produce is wrong
NEAR_MISSES: dict[str, Callable[[str, random.Random], Iterator[str]]] = {
    "flip_sign": _flip_sign,
    "change_digit": _change_digit,
    "off_by_one": _off_by_one,
    "flip_inequality": _relation_misses,
    "open_endpoint": _endpoint,
    "swap_pair": _swap_pair,
    "drop_add_element": _drop_or_add,
    "change_exponent": _change_exponent,
    "swap_fraction": _swap_fraction,
}


# --- rewrites -----------------------------------------------------------------------------


def _frac_to_slash(gold: str, rng: random.Random) -> Iterator[str]:
    """``\\frac{a}{b}`` as ``(a)/(b)`` (not a mixed number's fraction)."""
    spans = [s for s in _frac_spans(gold) if not re.search(r"\d\s*$", gold[: s[0]])]
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
    interval = _interval(gold)
    if not interval or ("infty" in interval[1] and "infty" in interval[2]):
        return
    relation = _inequality(*interval)
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
    if _is_text(gold):
        return
    ops = "+=<>" if _items(gold) is None and "," in gold else "+=,<>"  # a thousands comma takes no spaces
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
    if re.search(r"[(\[]", gold) and not _is_text(gold):
        s = re.sub(r"(?<!\\)([(\[])", r"\\left\1 ", gold)
        yield re.sub(r"(?<!\\)([)\]])", r" \\right\1", s)


def _trailing_period(gold: str, rng: random.Random) -> Iterator[str]:
    yield gold + "."


def _assign(gold: str, rng: random.Random) -> Iterator[str]:
    """``x = value`` (``x \\in`` for an interval), with a letter the gold does not use."""
    if "=" in gold or _is_text(gold) or r"\in" in gold or r"\begin" in gold or _items(gold):
        return
    name = next((v for v in "xyzt" if not re.search(rf"(?<![\\A-Za-z]){v}", gold)), None)
    if name is None:
        return
    yield f"{name} \\in {gold}" if (_interval(gold) or r"\cup" in gold) else f"{name} = {gold}"


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
    elif len(sides) != 1 or _items(gold) or r"\pm" in gold or _is_text(gold):
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
    if _is_text(gold):
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


def probes(golds: Iterable[tuple[str, str]], *, seed: int = 0) -> list[Probe]:
    """Every near miss and rewrite of every ``(source, gold)``, in a fixed order."""
    out: list[Probe] = []
    for source, gold in golds:
        gold = gold.strip()
        for table, equivalent in ((NEAR_MISSES, False), (REWRITES, True)):
            for name, transform in table.items():
                rng = random.Random(f"{seed}:{name}:{gold}")
                seen = {gold}
                for candidate in transform(gold, rng):
                    if candidate.strip() and candidate not in seen:
                        seen.add(candidate)
                        out.append(Probe(gold, candidate, equivalent, name, source))
    return out
