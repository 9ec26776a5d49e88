"""Text normalisation shared by decontamination and deduplication.

Two spellings of one problem should give the same tokens: case, whitespace, the math
delimiters (``$``, ``$$``, ``\\(``, ``\\[``), LaTeX spacing commands, ``\\left``/``\\right``,
``\\dfrac``/``\\tfrac`` against ``\\frac``, ``\\le`` against ``\\leq``, braces, a few Unicode
math symbols, thousands separators and trailing zeros of numbers. Figure code
(Asymptote ``[asy]``, TikZ) is drawing instructions, not the statement: it is cut out
before matching, because unrelated problems share it line for line.

Tokens are words, numbers and the operators ``+ - = < >``; every other symbol is a
separator. Numbers are tokens of their own, so a look-alike that differs only in its
numbers is told apart from a copy by comparing :func:`numbers` of both.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence


__all__ = [
    "figure_labels",
    "has_figure",
    "label_numbers",
    "normalize",
    "numbers",
    "sentences",
    "strip_figures",
    "tokens",
]

_FIGURES = re.compile(
    r"\[asy\].*?(?:\[/asy\]|\Z)"
    r"|\\begin\{(asy|tikzpicture|picture|pspicture)\}.*?(?:\\end\{\1\}|\Z)",
    re.IGNORECASE | re.DOTALL,
)
#: commands that only change spacing, size or font, dropped with nothing left behind
_DROP = re.compile(
    r"\\(?:left|right|middle|[bB]ig{1,2}[lrm]?|displaystyle|textstyle|scriptstyle|limits|nolimits"
    r"|quad|qquad|[,;:!> ]|text(?:bf|it|rm|sf|tt|normal)?|math(?:rm|bf|it|sf|tt|cal|bb|frak)"
    r"|operatorname|mbox|hbox|boldsymbol|bm)(?![a-zA-Z])"
)
#: spelling variants of one command (after the backslash); the value is the canonical name
_SYNONYMS = {
    "dfrac": "frac",
    "tfrac": "frac",
    "cfrac": "frac",
    "dbinom": "binom",
    "tbinom": "binom",
    "le": "leq",
    "leqslant": "leq",
    "ge": "geq",
    "geqslant": "geq",
    "ne": "neq",
    "lvert": "vert",
    "rvert": "vert",
    "lbrace": "",
    "rbrace": "",
    "colon": "",
    "cdotp": "cdot",
    "gets": "leftarrow",
    "to": "rightarrow",
}
_COMMAND = re.compile(r"\\([a-zA-Z]+)")
_FRAC_DIGITS = re.compile(r"\\(?:[dtc]?(frac)|[dt]?(binom))\s*(\d)\s*(\d)")
_UNICODE = {
    "\u2212": "-",  # minus sign
    "\u2013": "-",
    "\u2014": "-",
    "\u00d7": " times ",
    "\u22c5": " cdot ",
    "\u00b7": " cdot ",
    "\u2264": " leq ",
    "\u2265": " geq ",
    "\u2260": " neq ",
    "\u03c0": " pi ",
    "\u221a": " sqrt ",
    "\u00b0": " circ ",
    "\u221e": " infty ",
}
_UNICODE_RE = re.compile("|".join(map(re.escape, _UNICODE)))
_THOUSANDS = re.compile(r"(?<=\d)(?:,|\{,\})(?=\d{3}(?!\d))")
_DECIMAL = re.compile(r"(?<![\d.])\.(?=\d)")
#: CJK characters are one token each (those scripts do not separate words by spaces)
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\W\d_]+|\d+(?:\.\d+)?|[+\-=<>]")
_LABEL = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\bnode\b[^{};]*\{([^{}]*)\}')
_SENTENCE_END = re.compile(r"(?<=[.?!;])\s+|\n\s*\n|(?<=\$)\s*\n")


def strip_figures(text: str) -> str:
    """``text`` without Asymptote/TikZ figure code (an unclosed block runs to the end)."""
    return _FIGURES.sub(" ", text)


def figure_labels(text: str) -> str:
    """The label texts inside figure code (Asymptote strings, TikZ nodes), joined by spaces.

    Figure code is cut out before matching, but its labels ("5 cm", "$25$") often carry
    the problem's data, so they count when numbers are compared.
    """
    out = []
    for block in _FIGURES.finditer(text):
        for m in _LABEL.finditer(block.group(0)):
            out.append(m.group(1) if m.group(1) is not None else m.group(2))
    return " ".join(out)


def _command(match: re.Match[str]) -> str:
    name = match.group(1)
    canonical = _SYNONYMS.get(name, name)
    return f" {canonical} " if canonical else " "


def normalize(text: str) -> str:
    """Canonical form for matching: the tokens of ``text`` joined by single spaces."""
    return " ".join(tokens(text))


def tokens(text: str) -> list[str]:
    """Normalised tokens of ``text`` (figure code removed)."""
    text = unicodedata.normalize("NFKC", strip_figures(text)).lower()  # commands too: \FRAC is \frac
    text = _UNICODE_RE.sub(lambda m: _UNICODE[m.group(0)], text)
    # \frac12 is \frac{1}{2}
    text = _FRAC_DIGITS.sub(lambda m: f" {m.group(1) or m.group(2)} {m.group(3)} {m.group(4)} ", text)
    text = _DROP.sub(" ", text)
    text = _COMMAND.sub(_command, text)
    text = _THOUSANDS.sub("", text)
    text = _DECIMAL.sub("0.", text)
    out = []
    for tok in _TOKEN.findall(text):
        if "." in tok:  # 2.50 is 2.5, 3.0 is 3
            tok = tok.rstrip("0").rstrip(".") or "0"
        elif tok[0].isdigit() and len(tok) > 1:
            tok = tok.lstrip("0") or "0"  # AIME answers are zero-padded: 025 is 25
        out.append(tok)
    return out


def numbers(toks: Sequence[str]) -> list[str]:
    """The number tokens of ``toks``, in order."""
    return [t for t in toks if t[0].isdigit()]


def has_figure(text: str) -> bool:
    """Does ``text`` hold figure code?"""
    return _FIGURES.search(text) is not None


def label_numbers(text: str) -> list[str]:
    """Numbers in the figure labels of ``text``."""
    labels = figure_labels(text)
    return numbers(tokens(labels)) if labels else []


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences (after ``. ? ! ;``, at blank lines), figure code removed."""
    return [s for s in _SENTENCE_END.split(strip_figures(text)) if s.strip()]
