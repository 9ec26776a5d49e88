"""Near misses of a gold answer: edits of its LaTeX that are wrong by construction.

A flipped sign of a non-zero term, one changed digit, an integer off by one, a flipped or
loosened inequality, an endpoint opened or closed, two unequal coordinates swapped, a
solution dropped or added, an exponent changed, a fraction turned upside down. A
transform that does not apply to a gold yields nothing; choices (which digit, which
term) come from the generator it is given. :mod:`ded_plugins.grading.probes` pairs these
with the equivalent rewrites of :mod:`ded_plugins.grading.rewrites`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator

from ded_plugins.grading.answer import split_top, wrapped
from ded_plugins.grading.latex import LatexError, find_group


__all__ = ["NEAR_MISSES", "frac_spans", "gold_interval", "gold_items", "inequality", "is_text"]


_COMMA = re.compile(r"\s*,\s*")
_INT = re.compile(r"(?<![\d.])\d+(?![\d.])")


def is_text(gold: str) -> bool:
    """Names, letters and sentences are graded as words: only value transforms are skipped."""
    return bool(re.search(r"\\text\s*\{\s*\(?[A-Za-z]{1,}", gold)) and not re.search(r"\d", gold)


def frac_spans(gold: str) -> list[tuple[int, int, str, str]]:
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


def gold_interval(gold: str) -> tuple[str, str, str, str] | None:
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


_GROUPED = re.compile(r"(?:\\\$)?-?\d{1,3}(?:(?:,\\!\s*|\{,\}|,)\d{3})+(?:\.\d+)?")


def gold_items(gold: str) -> tuple[str, list[str], str] | None:
    """``(prefix, elements, suffix)`` of a list ``3, 5, 7``, a set ``\\{...\\}`` or a tuple ``(a, b)``."""
    s = gold.strip()
    if _GROUPED.fullmatch(s) or "{,}" in s or ",\\!" in s:
        return None  # 10,\!080 is one number
    for open_, close in ((r"\{", r"\}"), (r"\left(", r"\right)"), ("(", ")")):
        bare = s.replace(r"\left", "").replace(r"\right", "").replace(r"\{", "{").replace(r"\}", "}")
        if s.startswith(open_) and wrapped(bare, open_[-1], close[-1]) is not None:
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
    if is_text(gold) or gold_interval(gold) or r"\begin" in gold or "=" in gold:
        return
    items = gold_items(gold)
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
    if is_text(gold):
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
    if is_text(gold):
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


def inequality(open_: str, lo: str, hi: str, close: str, *, flip: bool = False, loosen: int = -1) -> str:
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
    interval = gold_interval(gold)
    if not interval or ("infty" in interval[1] and "infty" in interval[2]):
        return
    open_, lo, hi, close = interval
    yield inequality(open_, lo, hi, close, flip=True)
    end = 0 if "infty" in hi else 1 if "infty" in lo else rng.randrange(2)
    yield inequality(open_, lo, hi, close, loosen=end)


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
    if not spots or not (gold_interval(gold) or r"\cup" in gold):
        return
    i = rng.choice(spots)
    swap = {"(": "[", "[": "(", ")": "]", "]": ")"}
    yield gold[:i] + swap[gold[i]] + gold[i + 1 :]


def _swap_pair(gold: str, rng: random.Random) -> Iterator[str]:
    """Two different coordinates of a tuple exchanged."""
    items = gold_items(gold)
    if not items or items[0] not in ("(", r"\left(") or gold_interval(gold):
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
    items = gold_items(gold)
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
    spans = [s for s in frac_spans(gold) if s[2].strip().lstrip("-") != s[3].strip().lstrip("-")]
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
