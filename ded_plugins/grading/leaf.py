"""The smallest parts of an answer: one value, a base numeral, words, or kept-whole raw math.

A part the LaTeX converter cannot read is never reduced to its letters and digits: words
(``Evelyn``, ``odd``) compare as words, and anything with an operator in it is kept as
:class:`~ded_plugins.grading.nodes.Raw`, a spacing-free form that keeps every operator,
sign, digit and letter in order; two raw answers match only when those forms are equal.
"""

from __future__ import annotations

import re

from ded_plugins.grading.latex import LatexError, latex_to_sympy
from ded_plugins.grading.nodes import Expr, Node, Numeral, Raw, Text
from ded_plugins.grading.normalize import normalize_text


__all__ = ["leaf", "numeral", "raw_form"]

_WORDS = re.compile(r"[A-Za-z][A-Za-z' ]*\.?")
_MATH_WORDS = {"pi", "sin", "cos", "tan", "ln", "log", "exp", "sqrt"}
_NUMERAL = re.compile(r"(-?)(\d[0-9A-Za-z]*)_\{?(\d{1,2})\}?")  # digits first: b_{12} is a variable
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def raw_form(text: str) -> str:
    """Spacing and redundant braces dropped, nothing else: ``3^{x} \\geq x^{2}`` -> ``3^x\\geq x^2``."""
    s = re.sub(r"\s+", " ", text.strip())
    s = re.sub(r"\{(\\?[A-Za-z0-9])\}", r"\1", s)  # ^{x} is ^x: braces around one token change nothing
    return re.sub(r" (?![A-Za-z0-9])|(?<![A-Za-z0-9]) ", "", s)  # a space matters only between two names


def _prose(text: str) -> Text | None:
    """A sentence with some math in it (``f(x+1)-1 is odd``): its words lower-cased, the math kept whole."""
    words = [
        w
        for w in re.findall(r"(?<![\\A-Za-z])[A-Za-z]{2,}(?![A-Za-z(])", text)
        if w.lower() not in _MATH_WORDS
    ]
    if len(words) < 3:
        return None
    s = re.sub(r"(?<=[A-Za-z])[.,;:!?](?=\s|$)", "", text.lower())  # sentence punctuation, not math
    return Text(re.sub(r"\s+", " ", s).strip())


def numeral(text: str) -> Numeral | None:
    """``52_8``: digits that are valid in the subscript base (2 to 36) form a numeral in that base."""
    m = _NUMERAL.fullmatch(text.strip())
    if not m:
        return None
    base, digits = int(m.group(3)), m.group(2).lower()
    if not 2 <= base <= 36 or any(_DIGITS.index(d) >= base for d in digits if d in _DIGITS):
        return None
    return Numeral(digits.lstrip("0") or "0", base, m.group(1) == "-")


def leaf(text: str, *, unit: str | None = None, letter_ratio: bool = False) -> Node:
    """One value (sympy), or words, or raw math; ``letter_ratio`` reads ``a:b`` with letters as a/b."""
    import sympy

    text = text.strip()
    if text.endswith(".") and not text[-2:-1].isdigit():
        text = text[:-1].rstrip()  # a sentence's full stop: "\\sqrt{2}."
    if _WORDS.fullmatch(text) and any(len(w) > 1 and w not in _MATH_WORDS for w in text.split()):
        return Text(normalize_text(text))  # "odd", "Evelyn", "east": words, not products of letters
    if re.fullmatch(r"\d{1,2}:\d{2}", text) and not letter_ratio:
        # "4:30" is a clock time against a clock time, and a ratio against a number
        hours, minutes = text.split(":")
        return Text(normalize_text(text), sympy.Rational(int(hours), int(minutes)) if int(minutes) else None)
    ratio = text.split(":")
    if (
        len(ratio) == 2
        and all(r.strip() for r in ratio)
        and (letter_ratio or not re.search(r"[A-Za-z]", text))
    ):
        text = rf"\frac{{{ratio[0]}}}{{{ratio[1]}}}"  # a ratio "5:8", "1 : (4/3)"
    try:
        value = latex_to_sympy(text)
    except LatexError:
        return _prose(text) or Raw(raw_form(text))
    if not isinstance(value, sympy.Expr) or value.has(sympy.zoo, sympy.nan):  # tuples, booleans, 1/0
        return Raw(raw_form(text))
    dec = re.fullmatch(r"-?\d*\.(\d+)", text)
    return Expr(value, len(dec.group(1)) if dec else None, unit)
